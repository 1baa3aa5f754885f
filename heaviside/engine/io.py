"""The JSONPath input/output pipeline, in AWS's order and with AWS's error names and texts.

raw input -> InputPath -> Parameters = effective input -> work -> ResultSelector
-> ResultPath (merged into the RAW input) -> OutputPath = state output.
"""

from __future__ import annotations

import json
from typing import Final

from heaviside.definition.model import OptionalPath
from heaviside.definition.paths import Path, PathNotFound, Scope, compile_path
from heaviside.definition.templates import Template
from heaviside.errors import DATA_LIMIT_EXCEEDED, RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError
from heaviside.types import JSON

IDENTITY: Final[Path] = compile_path("$")

#: Step Functions' limit on a state's input, output or result, in UTF-8 bytes.
PAYLOAD_LIMIT_BYTES: Final = 256 * 1024


def select(path: OptionalPath, scope: Scope) -> JSON:
    """Apply InputPath/OutputPath: ``None`` (JSON null) gives ``{}``; a miss is States.Runtime."""
    if path is IDENTITY:
        return scope.data
    if path is None:
        return {}
    try:
        return path.resolve(scope)
    except PathNotFound as exc:
        raise StatesError(RUNTIME, str(exc)) from None


def select_from(path: OptionalPath, data: JSON, scope: Scope) -> JSON:
    """``select`` on ``data`` (rather than ``scope.data``), with ``$$`` and variables from ``scope``."""
    if path is IDENTITY:
        return data
    if path is None:
        return {}
    return select(path, scope.with_data(data))


def effective_input(input_path: OptionalPath, parameters: Template | None, scope: Scope) -> JSON:
    """InputPath, then Parameters (whose ``$`` is the InputPath result)."""
    selected = select(input_path, scope)
    if parameters is None:
        return selected
    return parameters.resolve(scope.with_data(selected) if selected is not scope.data else scope)


def place_result(result_path: OptionalPath, raw_input: JSON, result: JSON) -> JSON:
    """ResultPath: ``$`` replaces, ``None`` discards the result, else merge into the raw input."""
    if result_path is IDENTITY:
        return result
    if result_path is None:
        return raw_input
    try:
        return result_path.place(raw_input, result)
    except PathNotFound:
        raise StatesError(
            RESULT_PATH_MATCH_FAILURE,
            f"Unable to apply ResultPath \"{result_path.text}\" to input {compact_json(raw_input)}",
        ) from None


def compact_json(value: JSON) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_output_size(state: str, output: JSON) -> None:
    """A Task/Parallel/Map output over 256 KiB fails the state with ``States.DataLimitExceeded``
    (AWS checks state output as well as task results; catchable only by naming it)."""
    if isinstance(output, (dict, list, str)) and len(compact_json(output).encode("utf-8")) > PAYLOAD_LIMIT_BYTES:
        raise StatesError(DATA_LIMIT_EXCEEDED, f"The state/task '{state}' returned a result with a size exceeding "
                                               "the maximum number of bytes service limit.")
