"""RFC 3339 timestamps as Step Functions reads and writes them (stdlib only, pure).

Owns the one timestamp grammar shared by the Choice ``Timestamp*`` / ``IsTimestamp`` operators
and the Wait state's ``Timestamp`` / ``TimestampPath`` fields, and the rendering of instants
in the context object (``$$.Execution.StartTime``, ``$$.State.EnteredTime``).

Accepted (:func:`parse_timestamp`): ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)``

* an uppercase ``T`` separates date and time and an uppercase ``Z`` or a numeric offset is
  required (AWS: "an uppercase T must separate the date and time portions, and an uppercase Z
  must denote that a numeric time zone offset is not present"); a local time without an
  offset is rejected;
* seconds are required (RFC 3339 ``partial-time``); a leap second (``:60``) is rejected, as
  Java's ``ISO_OFFSET_DATE_TIME`` rejects it;
* the fraction may have any number of digits (``.0Z``, ``.000000Z``, ``.123456789Z``); digits
  beyond microseconds are truncated (Python's ``datetime`` resolution), so two timestamps
  differing only below a microsecond compare equal;
* offsets are limited to ±18:00 (``java.time.ZoneOffset``'s range);
* ASCII digits only, no surrounding whitespace, calendar-valid dates (no February 30th).

Rendering (:func:`format_timestamp`): UTC with ``Z`` as Java's ``Instant.toString`` writes
Step Functions' millisecond instants: three fractional digits (truncated milliseconds), e.g.
``2019-03-26T20:14:13.192Z``, and no fraction at all when the milliseconds are zero
(``2019-03-26T20:14:13Z``) -- AWS drops an all-zero fraction in the context object.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Final

_TIMESTAMP: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)
_MAX_OFFSET_MINUTES: Final = 18 * 60


def parse_timestamp(text: object) -> datetime | None:
    """The instant ``text`` names, as an aware UTC ``datetime``; ``None`` if it is not a timestamp.

    Never raises: any non-string, malformed or out-of-range input gives ``None``.
    """
    if not isinstance(text, str):
        return None
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_hours, off_minutes = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC)
        if sign is not None:
            offset = int(off_hours) * 60 + int(off_minutes)
            if int(off_minutes) > 59 or offset > _MAX_OFFSET_MINUTES:
                return None
            # Local time = UTC + offset, so UTC = local time - offset.
            moment -= timedelta(minutes=offset if sign == "+" else -offset)
    except (ValueError, OverflowError):
        return None
    return moment


def format_timestamp(dt: datetime) -> str:
    """Render ``dt`` like Step Functions' context object: ``2019-03-26T20:14:13.192Z``.

    Aware datetimes are converted to UTC; a naive datetime is taken to be UTC already.
    Sub-millisecond digits are truncated, never rounded (rounding could move into the next second).
    """
    if dt.tzinfo is not None and dt.utcoffset() is not None:
        dt = dt.astimezone(UTC)
    millis = dt.microsecond // 1000
    fraction = f".{millis:03d}" if millis else ""
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}"
        f"T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}{fraction}Z"
    )
