"""Plain-text tables for the terminal: an execution's history and a list of executions.

Used by ``heaviside history`` and ``heaviside list``; the inputs are the AWS-shaped dicts
(``GetExecutionHistory`` events, ``DescribeExecution`` results), so any backend's output fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

#: Characters of the DETAILS column before it is cut with an ellipsis.
DETAILS_WIDTH = 72
_SKIPPED_KEYS = frozenset({"name", "error", "cause", "input", "output", "inputDetails", "outputDetails"})


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell (``right``: indexes of right-aligned columns); no trailing spaces."""
    widths = [max(len(str(row[index])) for row in [headers, *rows]) for index in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [
            str(cell).rjust(width) if index in right else str(cell).ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def short_time(text: str | None) -> str:
    """An ISO timestamp as ``2024-05-01 12:00:00.123Z`` (UTC, milliseconds); ``-`` when absent."""
    if not text:
        return "-"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{moment.microsecond // 1000:03d}" + (
        "Z" if moment.tzinfo is not None else "")


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _event_details(event: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def describe_event(event: Mapping[str, Any], width: int = DETAILS_WIDTH) -> tuple[str, str]:
    """The state name an event belongs to (or ``""``) and a one-line summary of its details."""
    details = _event_details(event)
    parts: list[str] = []
    if details.get("error") is not None or details.get("cause") is not None:
        error = str(details.get("error") or "")
        parts.append(f"{error}: {details['cause']}" if details.get("cause") is not None else error)
    for key, value in details.items():
        if key in _SKIPPED_KEYS or isinstance(value, dict | list):
            continue
        if key == "resource" and isinstance(value, str):
            value = value.rsplit(":function:", 1)[-1]
        parts.append(f"{key}={value}")
    for key in ("output", "input"):
        if details.get(key) is not None:
            parts.append(f"{key}: {details[key]}")
            break
    return str(details.get("name") or ""), _cut(" ".join(parts), width)


def history_table(events: Sequence[Mapping[str, Any]], *, timestamps: bool = False) -> str:
    """ID, elapsed milliseconds since the first event (or the timestamp), type, state and details."""
    start: datetime | None = None
    rows: list[list[str]] = []
    for event in events:
        stamp = str(event.get("timestamp", ""))
        if timestamps:
            when = short_time(stamp)
        else:
            try:
                moment = datetime.fromisoformat(stamp)
            except ValueError:
                when = "?"
            else:
                start = start or moment
                when = str(round((moment - start).total_seconds() * 1000))
        state, summary = describe_event(event)
        rows.append([str(event.get("id", "")), when, str(event.get("type", "")), state, summary])
    headers = ["ID", "TIMESTAMP" if timestamps else "ELAPSED_MS", "TYPE", "STATE", "DETAILS"]
    return render_table(headers, rows, right=(0,) if timestamps else (0, 1))


def executions_table(executions: Sequence[Mapping[str, Any]]) -> str:
    """Name, status, start and stop of each execution (``DescribeExecution`` dicts)."""
    rows = [[str(described.get("name", "")), str(described.get("status", "")),
             short_time(described.get("startDate")), short_time(described.get("stopDate"))]
            for described in executions]
    return render_table(["NAME", "STATUS", "START", "STOP"], rows)
