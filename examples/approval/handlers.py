"""Lambda handlers for the approval workflow.

``request_approval`` and ``escalate`` serve the two callback Tasks (``lambda:invoke.waitForTaskToken``):
each "emails" one person the request and the Task's token, and returns a receipt; the execution
then waits until someone answers the token with ``{"approved": true|false, "by": ..., "reason": ...}``
(``heaviside send-task-success``, the stack's callback URL, ``heaviside.callbacks.send_task_success``).
The emails go to ``OUTBOX`` (by request id), where a test or a demo finds the tokens, and to the log
(without the token: a token is a bearer secret). With ``CALLBACK_URL`` set (``template.yaml`` sets it
to the stack's ``CallbackUrl``) an email also carries ready-made approve and reject requests.

Each public function is one Task's Lambda; ``@task`` passes events that are not heaviside's
through, so ``heaviside run --handlers`` calls them as plain functions.
"""

import json
import logging
import os
import threading
from typing import Any

from heaviside import task

log = logging.getLogger("examples.approval")

#: Every email sent, by request id, oldest first.
OUTBOX: dict[str, list[dict[str, Any]]] = {}
_LOCK = threading.Lock()


def _email(event: dict[str, Any], subject: str, body: str) -> dict[str, Any]:
    """"Send" one email holding the token; the receipt is the handler's result."""
    request_id, to, token = event["requestId"], event["to"], event["token"]
    email: dict[str, Any] = {"to": to, "subject": subject, "body": body, "token": token}
    url = os.environ.get("CALLBACK_URL")
    if url:
        email["approve"] = {"POST": f"{url.rstrip('/')}/success",
                            "body": {"taskToken": token, "output": {"approved": True, "by": to}}}
        email["reject"] = {"POST": f"{url.rstrip('/')}/success",
                           "body": {"taskToken": token, "output": {"approved": False, "by": to, "reason": "..."}}}
    with _LOCK:
        sent = OUTBOX.setdefault(request_id, [])
        sent.append(email)
        message_id = f"msg-{request_id}-{len(sent)}"
    log.info("emailed %s: %s", to, json.dumps(subject))
    return {"messageId": message_id, "to": to}


@task
def request_approval(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _email(event, f"Approve {event['requestId']}: {event['item']} for {event['amount']}?",
                  f"{event['requester']} asks for {event['item']} ({event['amount']}). Please answer within a day.")


@task
def escalate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _email(event, f"Escalated: approve {event['requestId']}: {event['item']} for {event['amount']}?",
                  f"{event['approver']} did not answer {event['requester']}'s request of {event['requestedAt']} "
                  f"for {event['item']} ({event['amount']}). Please answer within two days, or it is rejected.")


@task
def fulfil_request(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"requestId": event["requestId"], "status": "ORDERED", "purchaseOrder": f"PO-{event['requestId']}",
            "item": event["item"], "amount": event["amount"], "approvedBy": event["approvedBy"]}
