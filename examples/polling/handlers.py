"""Lambda handlers for the polling workflow: a fake job that finishes after a few polls."""

from typing import Any

_polls: dict[str, int] = {}


def start_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id = f"job-{event['name']}"
    _polls[job_id] = 0
    return {"jobId": job_id, "status": "RUNNING", "polls": 0, "finishAfter": event.get("finishAfter", 3)}


def poll_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id = event["jobId"]
    _polls[job_id] = _polls.get(job_id, 0) + 1
    polls = _polls[job_id]
    if polls < 3:
        return {"jobId": job_id, "status": "RUNNING", "polls": polls}
    return {"jobId": job_id, "status": "SUCCEEDED", "polls": polls, "result": {"rowsCopied": 1500 * polls}}
