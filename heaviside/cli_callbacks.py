"""``heaviside send-task-success | send-task-failure | send-task-heartbeat``: answering callback
Tasks of a deployment (AWS or the emulator), and ``heaviside run --callback`` answers for local runs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from heaviside.backends.local_callbacks import Answer, Failure, Success
from heaviside.callbacks import CallbackError, checked_failure, checked_output

Command = Callable[[argparse.Namespace], int]
EXIT_OK, EXIT_REFUSED = 0, 2


def add_callback_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser],
                          deployed: argparse.ArgumentParser, guard: Callable[[Command], Command],
                          runtime_of: Callable[[argparse.Namespace], Any]) -> None:
    """Register the three commands (``deployed``: the parent parser with --stack/--profile/--region)."""
    token = argparse.ArgumentParser(add_help=False, parents=[deployed])
    token.add_argument("token", metavar="TOKEN", help="the task token ($$.Task.Token of the waiting Task)")
    refusals = ("Refused answers exit 2 with Step Functions' error name: InvalidToken, TaskDoesNotExist, "
                "TaskTimedOut (answered already, timed out or ended), InvalidOutput.")

    success = commands.add_parser("send-task-success", parents=[token], help="complete a waiting callback Task",
                                  description="SendTaskSuccess: the Task's result is OUTPUT. " + refusals)
    given = success.add_mutually_exclusive_group(required=True)
    given.add_argument("--output", help="the Task's result as JSON text")
    given.add_argument("--output-file", metavar="PATH", help="a file holding the result as JSON")

    def send_success(args: argparse.Namespace) -> int:
        try:
            text = args.output if args.output is not None else Path(args.output_file).read_text(encoding="utf-8")
            output = json.loads(text)
        except (OSError, ValueError) as exc:
            print(f"heaviside: InvalidOutput: the output is not JSON: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        return _answer(lambda: runtime_of(args).callbacks.succeed(args.token, checked_output(output)))

    success.set_defaults(command=guard(send_success))

    failure = commands.add_parser("send-task-failure", parents=[token], help="fail a waiting callback Task",
                                  description="SendTaskFailure: the Task fails with ERROR (its Retry/Catch "
                                  "apply). " + refusals)
    failure.add_argument("--error", help="the error name (what Retry/Catch match)")
    failure.add_argument("--cause", help="a human-readable cause")

    def send_failure(args: argparse.Namespace) -> int:
        def send() -> None:
            checked_failure(args.error, args.cause)
            runtime_of(args).callbacks.fail(args.token, args.error, args.cause)

        return _answer(send)

    failure.set_defaults(command=guard(send_failure))

    heartbeat = commands.add_parser("send-task-heartbeat", parents=[token], help="keep a callback Task alive",
                                    description="SendTaskHeartbeat: restart the Task's HeartbeatSeconds clock. "
                                    + refusals)
    heartbeat.set_defaults(command=guard(lambda args: _answer(lambda: runtime_of(args).callbacks.heartbeat(
        args.token))))


def _answer(send: Callable[[], None]) -> int:
    try:
        send()
    except CallbackError as exc:
        print(f"heaviside: {exc.code}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


def add_local_answer_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--callback", action="append", default=[], metavar="STATE=JSON",
                     help="answer the .waitForTaskToken Task STATE with SendTaskSuccess(JSON) (repeatable)")
    run.add_argument("--callback-failure", action="append", default=[], metavar="STATE=ERROR[:CAUSE]",
                     help="answer the .waitForTaskToken Task STATE with SendTaskFailure(ERROR, CAUSE)")


class AnswerSyntaxError(ValueError):
    """A --callback option that cannot be read (the message says which and why)."""


def local_answers(successes: Sequence[str], failures: Sequence[str]) -> dict[str, Answer]:
    """The answers ``--callback`` / ``--callback-failure`` declare, by state name."""
    answers: dict[str, Answer] = {}
    for option in successes:
        state, _, text = option.partition("=")
        if not state or not _:
            raise AnswerSyntaxError(f"--callback {option!r}: expected STATE=JSON")
        try:
            answers[state] = Success(json.loads(text))
        except ValueError as exc:
            raise AnswerSyntaxError(f"--callback {option!r}: the answer is not JSON: {exc}") from None
    for option in failures:
        state, _, rest = option.partition("=")
        if not state or not _:
            raise AnswerSyntaxError(f"--callback-failure {option!r}: expected STATE=ERROR[:CAUSE]")
        error, _, cause = rest.partition(":")
        answers[state] = Failure(error or None, cause or None)
    return answers
