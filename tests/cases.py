"""The shared ASL conformance cases (../shared/conformance) as test parameters."""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from typing import Any

from heaviside.runtime.execution import SUCCEEDED, ExecutionRecord
from heaviside.runtime.invocation import Handler

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"


def executable_cases() -> list[dict[str, Any]]:
    """Every case with an expected run outcome (not the INVALID ones), sorted by name."""
    cases = [json.loads(path.read_text()) for path in sorted((CONFORMANCE / "cases").glob("*.json"))]
    return [case for case in cases if case["expect"]["status"] != "INVALID"]


def fresh_handlers() -> dict[str, Handler]:
    """The cases' handlers from a fresh module (their call counters start at zero)."""
    spec = importlib.util.spec_from_file_location("conformance_handlers", CONFORMANCE / "handlers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: value for name, value in vars(module).items()
            if inspect.isfunction(value) and not name.startswith("_")}


def mismatch(expect: dict[str, Any], record: ExecutionRecord) -> str | None:
    """None when ``record`` ended as the case expects, else what differs."""
    if record.status != expect["status"]:
        return f"status {record.status} ({record.error}: {record.cause}), expected {expect['status']}"
    if record.status == SUCCEEDED:
        if "output" in expect and json.dumps(record.output, sort_keys=True) != json.dumps(expect["output"],
                                                                                          sort_keys=True):
            return f"output {record.output!r}, expected {expect['output']!r}"
        return None
    if "error" in expect and record.error != expect["error"]:
        return f"error {record.error}, expected {expect['error']}"
    if "error_one_of" in expect and record.error not in expect["error_one_of"]:
        return f"error {record.error}, expected one of {expect['error_one_of']}"
    return None
