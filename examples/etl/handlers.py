"""Lambda handlers for the batched ETL workflow: open an export, process it one batch per invocation, close it.

The "source" is a fake table whose record ``i`` is generated from ``i`` alone, and the "transform"
is a running CRC-32 and sum over the batch's rows, so a run is deterministic and the state carries
only the cursor and the running totals, never the records. Each public function is one Task's
Lambda; ``@task`` passes events that are not heaviside's through, so ``heaviside run --handlers``
calls them as plain functions.
"""

import zlib
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, TypeGuard

from heaviside import task

MAX_BATCH_SIZE = 50_000  # sized so that one batch stays far below ProcessBatch's 240 s TimeoutSeconds


class InvalidExport(Exception):
    """The export request cannot be processed."""


class SourceThrottled(Exception):
    """The source asked us to slow down (transient: ProcessBatch retries it)."""


class CorruptRecord(Exception):
    """A source record cannot be read (permanent: the export stops at the batch's cursor)."""


@task
def open_export(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Check the request; return the export's settings (assigned to ``$export``) and the starting progress."""
    source, total, size = event.get("source"), event.get("totalRecords"), event.get("batchSize")
    pause, start = event.get("pauseSeconds", 600), event.get("startAt", 0)
    if not isinstance(source, str) or not source:
        raise InvalidExport("source must be a non-empty string")
    if not _is_int(total) or total < 1:
        raise InvalidExport("totalRecords must be a positive integer")
    if not _is_int(size) or not 1 <= size <= MAX_BATCH_SIZE:
        raise InvalidExport(f"batchSize must be an integer from 1 to {MAX_BATCH_SIZE}")
    if not _is_int(pause) or pause < 0:
        raise InvalidExport("pauseSeconds must be a non-negative integer")
    if not _is_int(start) or not 0 <= start < total:
        raise InvalidExport("startAt must be an integer from 0 to totalRecords - 1")
    simulate = event.get("simulate") or {}
    export_id = PurePosixPath(source).stem or "export"
    return {
        "export": {
            "exportId": export_id,
            "source": source,
            "destination": f"s3://example-warehouse/{export_id}/",
            "total": total,
            "batchSize": size,
            "pauseSeconds": pause,
            "simulate": {"throttleBatches": list(simulate.get("throttleBatches", [])),
                         "corruptRecords": list(simulate.get("corruptRecords", []))},
        },
        "progress": {"cursor": start, "done": False,
                     "totals": {"batches": 0, "records": 0, "amountCents": 0, "checksum": 0, "retries": 0}},
    }


@task
def process_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process records [cursor, cursor + batchSize); return the new cursor and totals (and a batch report)."""
    export, cursor, totals, attempt = event["export"], event["cursor"], event["totals"], event["attempt"]
    index, end = totals["batches"], min(cursor + export["batchSize"], export["total"])
    if index in export["simulate"]["throttleBatches"] and attempt == 0:
        raise SourceThrottled(f"{export['source']} throttled batch {index} (records {cursor}-{end - 1})")
    corrupt = set(export["simulate"]["corruptRecords"])
    rows: list[bytes] = []
    amount = 0
    for record_id in range(cursor, end):
        if record_id in corrupt:
            raise CorruptRecord(f"record {record_id} of {export['source']} does not parse")
        cents = _amount_cents(record_id)
        amount += cents
        rows.append(f"{record_id},{cents // 100}.{cents % 100:02d}\n".encode())
    checksum = zlib.crc32(b"".join(rows), totals["checksum"])
    return {
        "cursor": end,
        "done": end >= export["total"],
        "totals": {"batches": index + 1, "records": totals["records"] + end - cursor,
                   "amountCents": totals["amountCents"] + amount, "checksum": checksum,
                   "retries": totals["retries"] + attempt},
        "batch": {"index": index, "first": cursor, "last": end - 1,
                  "object": f"{export['destination']}part-{index:05d}.csv", "attempt": attempt},
    }


@task
def close_export(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The export's summary, with the execution's elapsed time (from ``$$`` timestamps)."""
    export, totals = event["export"], event["totals"]
    elapsed = _timestamp(event["closedAt"]) - _timestamp(event["startedAt"])
    seconds = round(elapsed.total_seconds())
    return {
        "exportId": export["exportId"],
        "destination": export["destination"],
        "records": totals["records"],
        "batches": totals["batches"],
        "retries": totals["retries"],
        "amount": f"{totals['amountCents'] // 100}.{totals['amountCents'] % 100:02d}",
        "checksum": f"crc32:{totals['checksum']:08x}",
        "elapsedSeconds": seconds,
        "elapsed": _duration(seconds),
    }


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _amount_cents(record_id: int) -> int:
    """The fake source's record ``record_id``: an order amount from 1.00 to 999.98."""
    return 100 + (record_id * 7919 + 104_729) % 99_899


def _duration(seconds: int) -> str:
    """``2h 30m 30s``, ``1d 16h 0m 0s``, ``15m 0s``."""
    days, rest = divmod(seconds, 86400)
    parts = [(days, "d"), (rest // 3600, "h"), (rest % 3600 // 60, "m")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{value}{unit}" for value, unit in [*parts, (rest % 60, "s")])


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
