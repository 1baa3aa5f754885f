"""The JSON Schemas of an ASL definition, as Python dicts, plus the field tables they are built from.

There is one schema per kind of object rather than one schema for the whole document: one per
state type, and one per kind of machine root (top level, Parallel branch, Map ``ItemProcessor``
or legacy ``Iterator``). The walker dispatches on ``Type`` itself and recurses into nested
machines, so the schemas contain no ``$ref`` and no ``if``/``then`` chains (both are slow in
the ``jsonschema`` library and give poor error locations).

Schemas only say what JSON Schema says well (types, required fields, enums, ranges, fields
allowed per state type); everything else lives in the Python checks. Two private keywords,
ignored by ``jsonschema``, feed the error messages: ``x-kind`` names the object ("a Pass
state") and ``x-message`` replaces the generic message of a failing keyword.
"""

from __future__ import annotations

from typing import Any, Final

from heaviside.definition.validation.context import JSONATA, JSONPATH

STATE_TYPES: Final = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
QUERY_LANGUAGES: Final = (JSONPATH, JSONATA)
MAX_SECONDS: Final = 99999999
JSONATA_EXPRESSION: Final = r"^\{%[\s\S]*%\}$"

_COMMON = ("Type", "Comment", "QueryLanguage")
_TRANSITION = ("Next", "End")
_PATHS = ("InputPath", "OutputPath")
_RECOVERY = ("Retry", "Catch")

#: The field availability matrix (reference §1.2): every field each state type accepts, in either language.
ALLOWED_FIELDS: Final[dict[str, frozenset[str]]] = {
    "Pass": frozenset(
        (*_COMMON, *_TRANSITION, *_PATHS, "Parameters", "ResultPath", "Result", "Output", "Assign")
    ),
    "Task": frozenset(
        (
            *_COMMON, *_TRANSITION, *_PATHS, *_RECOVERY,
            "Parameters", "ResultSelector", "ResultPath", "Arguments", "Output", "Assign",
            "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
            "Credentials",
        )
    ),
    "Choice": frozenset((*_COMMON, *_PATHS, "Output", "Assign", "Choices", "Default")),
    "Wait": frozenset(
        (*_COMMON, *_TRANSITION, *_PATHS, "Output", "Assign",
         "Seconds", "Timestamp", "SecondsPath", "TimestampPath")
    ),
    "Succeed": frozenset((*_COMMON, *_PATHS, "Output")),
    "Fail": frozenset((*_COMMON, "Error", "ErrorPath", "Cause", "CausePath")),
    "Parallel": frozenset(
        (
            *_COMMON, *_TRANSITION, *_PATHS, *_RECOVERY,
            "Parameters", "ResultSelector", "ResultPath", "Arguments", "Output", "Assign", "Branches",
        )
    ),
    "Map": frozenset(
        (
            *_COMMON, *_TRANSITION, *_PATHS, *_RECOVERY,
            "Parameters", "ResultSelector", "ResultPath", "Output", "Assign",
            "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector",
            "MaxConcurrency", "MaxConcurrencyPath", "ItemReader", "ItemBatcher", "ResultWriter",
            "ToleratedFailureCount", "ToleratedFailureCountPath",
            "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
        )
    ),
}

#: Every field some state type accepts (to tell "not allowed here" from "unknown").
ANY_STATE_FIELD: Final = frozenset().union(*ALLOWED_FIELDS.values())

#: Fields that only exist in JSONPath states, with what to use in JSONata instead.
JSONPATH_ONLY: Final[dict[str, str]] = {
    "InputPath": "use 'Arguments' or '$states.input' instead",
    "OutputPath": "use 'Output' instead",
    "Parameters": "use 'Arguments' instead, or 'ItemSelector' in a Map",
    "ResultSelector": "use 'Output' instead",
    "ResultPath": "use 'Output' (and 'Assign') instead",
    "Result": "use 'Output' instead",
    "ItemsPath": "use 'Items' instead",
    "TimeoutSecondsPath": "use a JSONata expression in 'TimeoutSeconds' instead",
    "HeartbeatSecondsPath": "use a JSONata expression in 'HeartbeatSeconds' instead",
    "SecondsPath": "use a JSONata expression in 'Seconds' instead",
    "TimestampPath": "use a JSONata expression in 'Timestamp' instead",
    "MaxConcurrencyPath": "use a JSONata expression in 'MaxConcurrency' instead",
    "ToleratedFailureCountPath": "use a JSONata expression in 'ToleratedFailureCount' instead",
    "ToleratedFailurePercentagePath": "use a JSONata expression in 'ToleratedFailurePercentage' instead",
    "ErrorPath": "use a JSONata expression in 'Error' instead",
    "CausePath": "use a JSONata expression in 'Cause' instead",
}

#: Fields that only exist in JSONata states, with what to use in JSONPath instead.
JSONATA_ONLY: Final[dict[str, str]] = {
    "Arguments": "use 'Parameters' instead",
    "Output": "use 'OutputPath', 'ResultSelector' or 'ResultPath' instead",
    "Items": "use 'ItemsPath' instead",
    "Condition": "use 'Variable' with a comparison operator instead",
}


def _int(minimum: int, maximum: int = MAX_SECONDS) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


def _int_or_jsonata(minimum: int, maximum: int = MAX_SECONDS) -> dict[str, Any]:
    """An integer in range, or (JSONata states only, checked later) a ``{% ... %}`` expression string."""
    return {
        "type": ["integer", "string"],
        "minimum": minimum,
        "maximum": maximum,
        "pattern": JSONATA_EXPRESSION,
        "x-message": f"must be an integer from {minimum} to {maximum} "
        "(or a JSONata expression in a JSONata state)",
    }


_STRING: Final = {"type": "string"}
_OBJECT: Final = {"type": "object"}
_PATH_OR_NULL: Final = {"type": ["string", "null"]}
_ANY: Final[dict[str, Any]] = {}

_ERROR_EQUALS: Final = {"type": "array", "minItems": 1, "items": _STRING}

RETRIER: Final = {
    "type": "object",
    "x-kind": "a retrier",
    "required": ["ErrorEquals"],
    "properties": {
        "ErrorEquals": _ERROR_EQUALS,
        "IntervalSeconds": _int(1),
        "MaxAttempts": _int(0),
        "BackoffRate": {"type": "number", "minimum": 1.0},
        "MaxDelaySeconds": _int(1, 31622400),
        "JitterStrategy": {"enum": ["FULL", "NONE"]},
        "Comment": _STRING,
    },
    "additionalProperties": False,
}

CATCHER: Final = {
    "type": "object",
    "x-kind": "a catcher",
    "required": ["ErrorEquals", "Next"],
    "properties": {
        "ErrorEquals": _ERROR_EQUALS,
        "Next": _STRING,
        "ResultPath": _PATH_OR_NULL,
        "Output": _ANY,
        "Assign": _OBJECT,
        "Comment": _STRING,
    },
    "additionalProperties": False,
}

_FIELD_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "Type": _ANY,  # dispatched on before the schema runs
    "Comment": _STRING,
    "QueryLanguage": {"enum": list(QUERY_LANGUAGES)},
    "Next": _STRING,
    "End": {"type": "boolean"},
    "InputPath": _PATH_OR_NULL,
    "OutputPath": _PATH_OR_NULL,
    "Parameters": _OBJECT,
    "ResultSelector": _OBJECT,
    "ResultPath": _PATH_OR_NULL,
    "Result": _ANY,
    "Arguments": {
        "type": ["object", "string"],
        "pattern": JSONATA_EXPRESSION,
        "x-message": "must be an object or a JSONata expression string",
    },
    "Output": _ANY,
    "Assign": _OBJECT,
    "Retry": {"type": "array", "items": RETRIER},
    "Catch": {"type": "array", "items": CATCHER},
    # Task
    "Resource": _STRING,
    "TimeoutSeconds": _int_or_jsonata(1),
    "TimeoutSecondsPath": _STRING,
    "HeartbeatSeconds": _int_or_jsonata(1),
    "HeartbeatSecondsPath": _STRING,
    "Credentials": _OBJECT,
    # Choice
    "Choices": {"type": "array", "minItems": 1},
    "Default": _STRING,
    # Wait
    "Seconds": _int_or_jsonata(0),
    "Timestamp": _STRING,
    "SecondsPath": _STRING,
    "TimestampPath": _STRING,
    # Fail
    "Error": _STRING,
    "ErrorPath": _STRING,
    "Cause": _STRING,
    "CausePath": _STRING,
    # Parallel
    "Branches": {"type": "array", "minItems": 1, "items": _OBJECT},
    # Map
    "ItemProcessor": _OBJECT,
    "Iterator": _OBJECT,
    "ItemsPath": _STRING,
    "Items": {
        "type": ["array", "string"],
        "pattern": JSONATA_EXPRESSION,
        "x-message": "must be an array or a JSONata expression string",
    },
    "ItemSelector": _OBJECT,
    "MaxConcurrency": _int_or_jsonata(0),
    "MaxConcurrencyPath": _STRING,
    "ItemReader": _OBJECT,
    "ItemBatcher": _OBJECT,
    "ResultWriter": _OBJECT,
    "ToleratedFailureCount": _int_or_jsonata(0),
    "ToleratedFailureCountPath": _STRING,
    "ToleratedFailurePercentage": {
        "type": ["number", "string"],
        "minimum": 0,
        "maximum": 100,
        "pattern": JSONATA_EXPRESSION,
        "x-message": "must be a number from 0 to 100 (or a JSONata expression in a JSONata state)",
    },
    "ToleratedFailurePercentagePath": _STRING,
    "Label": _STRING,
}

_REQUIRED: Final[dict[str, list[str]]] = {
    "Task": ["Resource"],
    "Choice": ["Choices"],
    "Parallel": ["Branches"],
}


def _state_schema(state_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "x-kind": f"a {state_type} state",
        "x-state-type": state_type,
        "required": _REQUIRED.get(state_type, []),
        "properties": {name: _FIELD_SCHEMAS[name] for name in sorted(ALLOWED_FIELDS[state_type])},
        "additionalProperties": False,
    }


#: One schema per state type.
STATE_SCHEMAS: Final = {state_type: _state_schema(state_type) for state_type in STATE_TYPES}

_STATES_OBJECT: Final = {
    "type": "object",
    "minProperties": 1,
    "x-message": "must be an object mapping state names to states",
}

_MACHINE_FIELDS: Final[dict[str, Any]] = {
    "StartAt": _STRING,
    "States": _STATES_OBJECT,
    "Comment": _STRING,
    "QueryLanguage": {"enum": list(QUERY_LANGUAGES)},
}


def _machine_schema(kind: str, **extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "x-kind": kind,
        "required": ["StartAt", "States"],
        "properties": {**_MACHINE_FIELDS, **extra},
        "additionalProperties": False,
    }


PROCESSOR_CONFIG: Final = {
    "type": "object",
    "x-kind": "'ProcessorConfig'",
    "properties": {
        "Mode": {"enum": ["INLINE", "DISTRIBUTED"]},
        "ExecutionType": {"enum": ["STANDARD", "EXPRESS"]},
    },
    "additionalProperties": False,
}

#: Machine roots by kind: the whole definition, a Parallel branch, a Map ItemProcessor, a legacy Iterator.
MACHINE_SCHEMAS: Final = {
    "top": _machine_schema(
        "the state machine",
        Version={"enum": ["1.0"]},
        TimeoutSeconds=_int(0),
    ),
    "branch": _machine_schema("a Parallel branch"),
    "processor": _machine_schema("a Map 'ItemProcessor'", ProcessorConfig=PROCESSOR_CONFIG),
    "iterator": _machine_schema("a Map 'Iterator'"),
}
