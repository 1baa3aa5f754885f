"""Lambda handlers for the polling workflow: a fake job that finishes after a few polls.

The fake job keeps its poll count in this module (a real job's status would come from the
service running it, e.g. DMS's DescribeReplicationTasks). Each public function is one Task's
Lambda; ``@task`` passes events that are not heaviside's through, so ``heaviside run --handlers``
calls them as plain functions.
"""

from typing import Any

from heaviside import task

_DEFAULT_FINISH_AFTER = 3
_polls: dict[str, int] = {}
_finish_after: dict[str, int] = {}


@task
def start_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id = f"job-{event['name']}"
    finish_after = int(event.get("finishAfter", _DEFAULT_FINISH_AFTER))
    _polls[job_id] = 0
    _finish_after[job_id] = finish_after
    return {"jobId": job_id, "status": "RUNNING", "polls": 0, "finishAfter": finish_after}


@task
def poll_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id = event["jobId"]
    _polls[job_id] = _polls.get(job_id, 0) + 1
    polls = _polls[job_id]
    if polls < _finish_after.get(job_id, _DEFAULT_FINISH_AFTER):
        return {"jobId": job_id, "status": "RUNNING", "polls": polls}
    return {"jobId": job_id, "status": "SUCCEEDED", "polls": polls, "result": {"rowsCopied": 1500 * polls}}
