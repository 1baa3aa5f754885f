"""RFC 3339 timestamp parsing and context-object rendering (heaviside.definition.timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from heaviside.definition.timestamps import format_timestamp, parse_timestamp


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05.1Z", utc(2024, 1, 2, 3, 4, 5, 100000)),
        ("2024-01-02T03:04:05.00Z", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05.123Z", utc(2024, 1, 2, 3, 4, 5, 123000)),
        ("2024-01-02T03:04:05.000000Z", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05.123456Z", utc(2024, 1, 2, 3, 4, 5, 123456)),
        # digits beyond microseconds are truncated, not rounded
        ("2024-01-02T03:04:05.1234569Z", utc(2024, 1, 2, 3, 4, 5, 123456)),
        ("2024-01-02T03:04:05.999999999999Z", utc(2024, 1, 2, 3, 4, 5, 999999)),
        # offsets: local time minus offset gives UTC
        ("2024-01-02T03:04:05+01:00", utc(2024, 1, 2, 2, 4, 5)),
        ("2024-01-02T03:04:05-05:30", utc(2024, 1, 2, 8, 34, 5)),
        ("2024-01-01T00:30:00+01:00", utc(2023, 12, 31, 23, 30, 0)),
        ("2024-01-02T03:04:05+00:00", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05-00:00", utc(2024, 1, 2, 3, 4, 5)),
        ("2024-01-02T03:04:05.5+18:00", utc(2024, 1, 1, 9, 4, 5, 500000)),
        ("2024-02-29T23:59:59Z", utc(2024, 2, 29, 23, 59, 59)),
        ("0001-01-01T00:00:00Z", utc(1, 1, 1)),
        ("9999-12-31T23:59:59.999999Z", utc(9999, 12, 31, 23, 59, 59, 999999)),
    ],
)
def test_parses_valid_timestamps_as_utc_instants(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02t03:04:05Z",  # lowercase t
        "2024-01-02T03:04:05z",  # lowercase z
        "2024-01-02 03:04:05Z",  # space separator
        "2024-01-02T03:04:05",  # no zone (AWS rejects local times)
        "2016-12-05T21:29:29.000000",  # fraction but no zone (Wait's documented failure)
        "2023-02-24 12:15:56.832957",
        "2024-01-02T03:04Z",  # no seconds
        "2024-01-02T03:04:05.Z",  # empty fraction
        "2024-01-02T03:04:05,5Z",  # comma fraction
        "2024-01-02T03:04:05+0100",  # offset without colon
        "2024-01-02T03:04:05+01",
        "2024-01-02T03:04:05+1:00",
        "2024-01-02T03:04:05+18:01",  # beyond java.time.ZoneOffset's range
        "2024-01-02T03:04:05+19:00",
        "2024-01-02T03:04:05+01:60",
        "2024-01-02T03:04:05Z+01:00",
        "2024-01-02",
        "03:04:05Z",
        "20240102T030405Z",  # basic format
        "2024-1-02T03:04:05Z",
        "24-01-02T03:04:05Z",
        "+2024-01-02T03:04:05Z",
        "2023-02-29T00:00:00Z",  # not a leap year
        "2024-02-30T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-02T24:00:00Z",
        "2024-01-02T23:60:00Z",
        "2024-12-31T23:59:60Z",  # leap second
        "0000-01-01T00:00:00Z",  # year zero does not exist in datetime
        "0001-01-01T00:00:00+01:00",  # would fall before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # would fall after year 9999 in UTC
        " 2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05Z ",
        "2024-01-02T03:04:05Z\n",
        "\uff12\uff10\uff12\uff14-01-02T03:04:05Z",  # full-width digits
        "2024-01-02T03:04:0\u0665Z",  # Arabic-Indic digit
        "",
        "Z",
        "not a timestamp",
    ],
)
def test_rejects_malformed_strings(text: str) -> None:
    assert parse_timestamp(text) is None


@pytest.mark.parametrize(
    "value", [None, 0, 1.5, True, b"2024-01-02T03:04:05Z", ["2024-01-02T03:04:05Z"], {"t": 1}, object()]
)
def test_non_strings_are_not_timestamps(value: object) -> None:
    assert parse_timestamp(value) is None


def test_same_instant_in_different_offsets_compares_equal() -> None:
    a = parse_timestamp("2024-06-01T12:00:00Z")
    b = parse_timestamp("2024-06-01T14:00:00.000+02:00")
    c = parse_timestamp("2024-06-01T07:00:00-05:00")
    assert a is not None and a == b == c
    later = parse_timestamp("2024-06-01T12:00:00.000001Z")
    assert later is not None and later > a


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (utc(2019, 3, 26, 20, 14, 13, 192000), "2019-03-26T20:14:13.192Z"),
        (utc(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05Z"),  # a zero fraction is dropped
        (utc(2024, 1, 2, 3, 4, 5, 999999), "2024-01-02T03:04:05.999Z"),  # truncated, never rounded
        (utc(2024, 1, 2, 3, 4, 5, 1500), "2024-01-02T03:04:05.001Z"),
        (utc(5, 6, 7, 8, 9, 10), "0005-06-07T08:09:10Z"),  # four-digit year
        (datetime(2024, 1, 2, 3, 4, 5, 6000), "2024-01-02T03:04:05.006Z"),  # naive = UTC
        (
            datetime(2024, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2))),
            "2023-12-31T23:30:00Z",
        ),
        (
            datetime(2024, 1, 1, 22, 0, 0, 250000, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "2024-01-02T03:30:00.250Z",
        ),
    ],
)
def test_format_renders_utc_milliseconds_with_z(dt: datetime, expected: str) -> None:
    assert format_timestamp(dt) == expected


def test_format_output_parses_back_to_the_millisecond() -> None:
    dt = datetime(2024, 7, 8, 9, 10, 11, 123456, tzinfo=timezone(timedelta(hours=9)))
    parsed = parse_timestamp(format_timestamp(dt))
    assert parsed == dt.replace(microsecond=123000)
