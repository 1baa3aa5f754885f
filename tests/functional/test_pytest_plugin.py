"""The pytest plugin, run in an inner pytest session: the state_machine fixture and the coverage report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLE_TEST = '''
from heaviside.testing.machine import Return, Throw

DEFINITION = {"Comment": "charge with fallback", "StartAt": "Charge", "States": {
    "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge", "End": True,
               "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60}],
               "Catch": [{"ErrorEquals": ["Declined"], "Next": "Refuse"},
                         {"ErrorEquals": ["States.ALL"], "Next": "Alert"}]},
    "Refuse": {"Type": "Fail", "Error": "Refused"},
    "Alert": {"Type": "Fail", "Error": "Alert"}}}


def test_retry_then_success(state_machine):
    run = state_machine(DEFINITION).mock("Charge", Throw("Busy"), Return({"ok": 1})).run()
    run.assert_succeeded({"ok": 1})
    assert [call.attempt for call in run.calls("Charge")] == [0, 1]


def test_declined(state_machine):
    run = state_machine(DEFINITION).mock("Charge", Throw("Declined")).run()
    run.assert_failed("Refused")
'''


def test_the_fixture_runs_state_machines_and_the_report_marks_an_untaken_catch(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_charges=EXAMPLE_TEST)
    coverage_file = tmp_path / "coverage.json"
    result = pytester.runpytest_inprocess("--heaviside-coverage", f"--heaviside-coverage-file={coverage_file}",
                                          "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*heaviside coverage*",
        "charge with fallback",
        "*catch Charge #1 [[]States.ALL[]] -> Alert never taken*",
    ])
    assert "catch Charge #0" not in result.stdout.str()
    written = json.loads(coverage_file.read_text())
    [entry] = written.values()
    assert entry["runs"] == 2 and entry["items"]["catch:Charge#0"] == 1 and entry["items"]["catch:Charge#1"] == 0


def test_without_the_option_there_is_no_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_charges=EXAMPLE_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "heaviside coverage" not in result.stdout.str()
