"""Lambda handler for the callback_job workflow: hand a job and its task token to the job system.

The job system is simulated: ``submit_job`` queues the job in ``QUEUED`` (by job id: the token and
the attempt), where a test or a demo plays the job system's part. A real job system keeps the token
with the job, sends ``SendTaskHeartbeat`` while the job runs (at least every ``HeartbeatSeconds``), and
answers once: ``SendTaskSuccess`` with the job's result or ``SendTaskFailure`` with its error. Nothing
runs on the workflow's side in between: no poll, no Wait, no state transition.

``@task`` passes events that are not heaviside's through, so ``heaviside run --handlers`` calls the
function as a plain one.
"""

import logging
import os
import threading
from typing import Any

from heaviside import task

log = logging.getLogger("examples.callback_job")

#: The simulated job system's queue: job id -> every submission of it, oldest first.
QUEUED: dict[str, list[dict[str, Any]]] = {}
_LOCK = threading.Lock()


@task
def submit_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job_id, attempt = event["jobId"], event["attempt"]
    submission = {"jobId": job_id, "attempt": attempt, "token": event["token"],
                  "callbackUrl": os.environ.get("CALLBACK_URL")}  # where a job system outside AWS answers
    with _LOCK:
        QUEUED.setdefault(job_id, []).append(submission)
    log.info("submitted %s (attempt %d)", job_id, attempt + 1)
    return {"jobId": job_id, "status": "QUEUED", "attempt": attempt}
