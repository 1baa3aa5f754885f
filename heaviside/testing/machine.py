"""Testing a state machine from Python: handlers or mocks per Task, callback answers, a virtual
clock, and runs with assertions on the result, the path taken, the task calls and the history.

    from heaviside.testing import StateMachineTest, Return, Throw

    machine = StateMachineTest("order.asl.json", handlers={"validate_order": validate_order})
    machine.mock("ChargePayment", Throw("PaymentGatewayTimeout"), Return({"StatusCode": 200, "Payload": {...}}))
    run = machine.run({"orderId": "A-1"})
    run.assert_succeeded()
    run.assert_path(["ValidateOrder", "ChargeAndReserve", "ChargePayment", ...])
    assert [call.attempt for call in run.calls("ChargePayment")] == [0, 1]

The pytest plugin (:mod:`heaviside.testing.plugin`) hands these out through the
``state_machine`` fixture and adds coverage of every run to the test report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from heaviside.backends.local_callbacks import Answer
from heaviside.backends.local_lambda import TaskMocks
from heaviside.callbacks import CallbackRequest
from heaviside.definition.loader import load_definition, read_definition_file
from heaviside.definition.model import Definition
from heaviside.runner import run_local
from heaviside.runtime.clock import VirtualClock
from heaviside.runtime.execution import SUCCEEDED, ExecutionRecord, TaskCall
from heaviside.types import JSON

Handler = Callable[[Any, Any], Any]
_ABSENT: Any = object()


@dataclass(frozen=True)
class Return:
    """A mocked response: the service's whole response (for ``lambda:invoke``,
    ``{"StatusCode": 200, "Payload": ...}``), as in a Step Functions Local mock file."""

    value: JSON


@dataclass(frozen=True)
class Throw:
    """A mocked failure: the error name Retry/Catch match, and a cause."""

    error: str
    cause: str = ""


class StateMachineTest:
    """One definition with its handlers, mocks and callback answers; :meth:`run` executes it."""

    def __init__(self, definition: Definition | Mapping[str, Any] | str | Path, *,
                 handlers: Mapping[str, Handler] | None = None,
                 observers: Sequence[Callable[[Definition, ExecutionRecord], None]] = ()) -> None:
        if isinstance(definition, Path) or (isinstance(definition, str) and not definition.lstrip().startswith("{")
                                            and Path(definition).suffix in (".json", ".yaml", ".yml")):
            definition = read_definition_file(str(definition))
        assert not isinstance(definition, Path)
        self.definition = definition if isinstance(definition, Definition) else load_definition(definition)
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.answers: dict[str, Answer | Callable[[CallbackRequest], Answer]] = {}
        self._mocked: dict[str, list[Return | Throw]] = {}
        self._mock_file: tuple[str | Path | Mapping[str, Any], str, str | None] | None = None
        self._observers = list(observers)

    def handler(self, name: str, function: Handler) -> StateMachineTest:
        """Serve the Lambda function ``name`` (or a full resource ARN) with ``function``."""
        self.handlers[name] = function
        return self

    def mock(self, state: str, *responses: Return | Throw) -> StateMachineTest:
        """Answer the Task ``state``'s invocations with ``responses`` in order (retries and Map
        iterations included); an invocation beyond them fails with ``States.Runtime``, as in
        Step Functions Local."""
        if not responses:
            raise ValueError(f"mock {state!r}: give at least one Return or Throw")
        self._mocked[state] = list(responses)
        return self

    def mock_config(self, source: str | Path | Mapping[str, Any], test_case: str,
                    state_machine: str | None = None) -> StateMachineTest:
        """Use a Step Functions Local mock file's test case (``MockConfigFile`` format)."""
        self._mock_file = (source, test_case, state_machine)
        return self

    def answer(self, state: str, answer: Answer | Callable[[CallbackRequest], Answer]) -> StateMachineTest:
        """Answer the callback (``.waitForTaskToken``) Task ``state``: ``Success(...)``, ``Failure(...)``,
        ``NoAnswer()`` (from :mod:`heaviside.backends.local_callbacks`) or a function of the request."""
        self.answers[state] = answer
        return self

    def run(self, input: JSON = None, *, start: datetime | None = None, name: str | None = None) -> TestRun:
        """Run once on a virtual clock (Waits and backoffs take no time; ``$$`` times still move)."""
        clock = VirtualClock(start) if start is not None else VirtualClock()
        record = run_local(self.definition, {} if input is None else input, handlers=self.handlers, clock=clock,
                           name=name, callbacks=self.answers, mocks=self._mocks())
        for observe in self._observers:
            observe(self.definition, record)
        return TestRun(record)

    def _mocks(self) -> TaskMocks | None:
        from heaviside.testing.mock_config import MockConfig  # the Step Functions Local format

        if self._mock_file is not None:
            source, test_case, state_machine = self._mock_file
            config = MockConfig.load(source)
            mocks = config.test_case(test_case, state_machine)
            if self._mocked:
                raise ValueError("use mock() or mock_config(), not both")
            return mocks
        if not self._mocked:
            return None
        responses: dict[str, Any] = {}
        case: dict[str, str] = {}
        for state, answers in self._mocked.items():
            name = f"mock-{len(responses)}"
            case[state] = name
            numbered: dict[str, Any] = {}
            for index, answer in enumerate(answers):
                numbered[str(index)] = ({"Return": answer.value} if isinstance(answer, Return)
                                        else {"Throw": {"Error": answer.error, "Cause": answer.cause}})
            responses[name] = numbered
        document = {"StateMachines": {"test": {"TestCases": {"test": case}}}, "MockedResponses": responses}
        return MockConfig.load(document).test_case("test", "test")


class TestRun:
    """One finished run, with assertions that explain themselves when they fail."""

    __test__ = False  # not a pytest test class

    def __init__(self, record: ExecutionRecord) -> None:
        self.record = record

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def output(self) -> JSON:
        return self.record.output

    @property
    def error(self) -> str | None:
        return self.record.error

    @property
    def cause(self) -> str | None:
        return self.record.cause

    @property
    def path(self) -> list[str]:
        """The states entered, in order (branches of a Parallel/Map interleave as they ran)."""
        return self.record.state_path()

    @property
    def elapsed(self) -> timedelta:
        """Virtual time from start to stop."""
        stop = self.record.stop_date or self.record.start_date
        return stop - self.record.start_date

    def calls(self, state: str | None = None) -> list[TaskCall]:
        """Every task invocation (of ``state``), in order: effective input, attempt, time."""
        return [call for call in self.record.task_calls if state is None or call.state == state]

    def history(self) -> list[dict[str, Any]]:
        return self.record.history()

    def assert_succeeded(self, output: JSON = _ABSENT) -> None:
        if self.status != SUCCEEDED:
            raise AssertionError(f"expected SUCCEEDED, got {self.status} {self.error}: {self.cause}\n{self._tail()}")
        if output is not _ABSENT and self.output != output:
            raise AssertionError(f"output differs:\n  expected {_json(output)}\n  got      {_json(self.output)}")

    def assert_failed(self, error: str | None = None, cause: str | None = None) -> None:
        if self.status == SUCCEEDED:
            raise AssertionError(f"expected a failure, but it SUCCEEDED with {_json(self.output)}")
        if error is not None and self.error != error:
            raise AssertionError(f"expected error {error!r}, got {self.error!r} ({self.cause})")
        if cause is not None and self.cause != cause:
            raise AssertionError(f"expected cause {cause!r}, got {self.cause!r}")

    def assert_path(self, states: Iterable[str]) -> None:
        expected = list(states)
        if self.path != expected:
            raise AssertionError(f"path differs:\n  expected {expected}\n  got      {self.path}")

    def assert_entered(self, state: str, times: int | None = None) -> None:
        count = self.path.count(state)
        if count == 0 or (times is not None and count != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(f"expected {state!r} entered {wanted}, it was entered {count} time(s): {self.path}")

    def assert_not_entered(self, state: str) -> None:
        if state in self.path:
            raise AssertionError(f"expected {state!r} never entered: {self.path}")

    def _tail(self, count: int = 8) -> str:
        lines = [f"  {event['type']} {json.dumps({k: v for k, v in event.items() if k.endswith('Details')})[:160]}"
                 for event in self.history()[-count:]]
        return "last events:\n" + "\n".join(lines)


def _json(value: JSON) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)[:2000]
