"""``heaviside test-state``: run one state of a definition, as Step Functions' ``TestState`` API does.

    heaviside test-state DEFINITION STATE [--input JSON | --input-file PATH]
                         [--mock-output JSON | --mock-error ERROR[:CAUSE]] [--handlers PATH.py ...]
                         [--variables JSON] [--context JSON] [--retrier-retry-count N] [--inspection-level LEVEL]

Prints :meth:`~heaviside.testing.test_state.StateTestResult.to_json` (AWS's response shape). Exit
codes: 0 when the state did what its definition says with that input: ``SUCCEEDED``, and also
``CAUGHT_ERROR`` and ``RETRIABLE`` (the error was handled by the state's own Catch or Retry, as
designed); 1 for ``FAILED`` (an error nothing handles, as ``heaviside run`` exits 1 for a failed
execution); 2 for bad usage, an invalid definition, an unknown state or a test that cannot run
(a Task with neither a mock nor a handler...), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from heaviside.backends.local_lambda import MockedResult

EXIT_OK, EXIT_FAILED = 0, 1


def add_test_state_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``test-state`` on the ``heaviside`` command's subparsers."""
    command = commands.add_parser(
        "test-state", help="run one state of a definition (like Step Functions' TestState)",
        description="Run the state STATE (top level, or inside a Parallel branch or Map) once with the given "
        "input and print its status (SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR), output, next state and "
        "inspection data as JSON. Exit 0 for SUCCEEDED, CAUGHT_ERROR and RETRIABLE (handled by the state's "
        "Catch/Retry), 1 for FAILED, 2 for bad usage or an invalid definition.")
    command.add_argument("definition", help="the ASL definition file (JSON or YAML)")
    command.add_argument("state", help="the name of the state to run")
    given = command.add_mutually_exclusive_group()
    given.add_argument("--input", help="the state's input as JSON text (default: {})")
    given.add_argument("--input-file", metavar="PATH", help="a file holding the state's input as JSON")
    mocked = command.add_mutually_exclusive_group()
    mocked.add_argument("--mock-output", metavar="JSON",
                        help="the Task's result: the service's whole response (lambda:invoke: "
                             '{"Payload": ...}); for a Parallel or Map, the list of branch results')
    mocked.add_argument("--mock-error", metavar="ERROR[:CAUSE]", help="the Task (or Parallel/Map) fails with ERROR")
    command.add_argument("--handlers", action="append", default=[], metavar="PATH.py",
                         help="a Python file whose top-level functions serve as the Lambda functions of the same "
                              "name (repeatable)")
    command.add_argument("--variables", metavar="JSON", help="workflow variables visible to the state (an object)")
    command.add_argument("--context", metavar="JSON",
                         help="context object ($$) fields to override: Execution, StateMachine, State, Task")
    command.add_argument("--retrier-retry-count", type=int, metavar="N",
                         help="retries already made (the attempt to test; $$.State.RetryCount)")
    command.add_argument("--inspection-level", choices=("INFO", "DEBUG"), default="DEBUG",
                         help="DEBUG (default) adds inspectionData: the data after each processing step")
    command.set_defaults(command=_test_state)


def _test_state(args: argparse.Namespace) -> int:
    from heaviside.cli import UsageError, load_all_handlers
    from heaviside.definition.loader import load_definition, read_definition_file
    from heaviside.testing.test_state import FAILED, StateTestError, test_state

    definition = load_definition(read_definition_file(args.definition))
    input_value = _input(args.input, args.input_file)
    variables = _json(args.variables, "--variables", {})
    context = _json(args.context, "--context", {})
    if not isinstance(variables, dict) or not isinstance(context, dict):
        raise UsageError("--variables and --context must be JSON objects")
    try:
        result = test_state(definition, args.state, input_value, context=context, variables=variables,
                            mock=_mock(args.mock_output, args.mock_error),
                            handlers=load_all_handlers(args.handlers) or None,
                            reveal=args.inspection_level == "DEBUG", retrier_retry_count=args.retrier_retry_count)
    except StateTestError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps(result.to_json(), ensure_ascii=False))
    return EXIT_FAILED if result.status == FAILED else EXIT_OK


def _mock(output: str | None, error: str | None) -> MockedResult | None:
    if output is not None:
        return MockedResult(output=_json(output, "--mock-output", None))
    if error is not None:
        name, _, cause = error.partition(":")
        return MockedResult(error=name, cause=cause or None)
    return None


def _input(text: str | None, file: str | None) -> Any:
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            from heaviside.cli import UsageError

            raise UsageError(f"cannot read input file {file}: {exc}") from None
    return _json(text, file or "--input", {})


def _json(text: str | None, source: str, default: Any) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        from heaviside.cli import UsageError

        raise UsageError(f"{source} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None

