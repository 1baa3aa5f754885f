"""The fault suite on the in-memory cloud: every workflow, under each kind of fault, ends as without faults.

Counts are asserted, not only printed: faults were injected, every execution is correct, none
is wrong or stuck. The same suite runs on the emulator in ``tests/aws/test_fault_suite.py`` and
at a larger scale with ``python -m benchmarks.faults``.
"""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.faults import SCENARIOS, WORKFLOWS, run_memory
from heaviside.faults import KINDS, FaultRates


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_workflow_ends_as_without_faults(scenario: str, seed: int) -> None:
    rates = dataclasses.replace(SCENARIOS[scenario], seed=seed)
    outcome = run_memory(scenario, rates, executions=4)
    assert outcome.problems == []
    assert (outcome.executions, outcome.correct, outcome.wrong, outcome.stuck) == (4 * len(WORKFLOWS),) * 2 + (0, 0)
    injected = outcome.injected
    wanted = [kind for kind in KINDS if getattr(rates, kind) > 0]
    assert all(injected[kind] > 0 for kind in wanted), injected
    assert all(injected[kind] == 0 for kind in KINDS if kind not in wanted), injected


def test_without_faults_nothing_is_injected_and_the_suite_is_still_correct() -> None:
    outcome = run_memory("none", FaultRates(), executions=1)
    assert outcome.injected == {} and outcome.correct == len(WORKFLOWS) and not outcome.ok


def test_rates_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultRates(crash=1.5)
