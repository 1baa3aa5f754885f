"""Read ASL text (JSON or YAML) into plain Python data, and load it into a compiled definition.

Parsing problems (bad JSON, duplicate keys, a document that is not an object, text over 1 MB,
nesting too deep to parse, YAML aliases that expand past 1 MB) become :class:`DefinitionError`
problems with the location in the text; a parsed definition is validated (every problem at once)
and compiled. Compiled definitions are cached by the hash of their canonical JSON, so loading the
same definition twice compiles it once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any, Final

import yaml

from heaviside.definition.compiler import compile_definition, content_hash
from heaviside.definition.model import Definition
from heaviside.definition.validation import validate_definition
from heaviside.errors import DefinitionError, Problem

#: Step Functions' limit on a definition's text (CreateStateMachine: ``definition`` is at most
#: 1,048,576 characters; "Maximum size of a state machine definition: 1 MB" in the quotas).
MAX_DEFINITION_CHARACTERS: Final = 1024 * 1024

_compiled_cache: dict[str, Definition] = {}


class _DuplicateKeys(ValueError):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeys(f"duplicate key {json.dumps(key)} in one JSON object")
        result[key] = value
    return result


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that rejects duplicate mapping keys, like the JSON reader."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key (a list): construct_mapping reports it
            break
        if duplicate:
            mark = key_node.start_mark
            raise _DuplicateKeys(f"duplicate key {json.dumps(key)} at line {mark.line + 1} column {mark.column + 1}")
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def parse_definition_text(text: str | bytes, source: str = "definition") -> Any:
    """JSON first; YAML when the text is not JSON. Raises :class:`DefinitionError`.

    Text longer than :data:`MAX_DEFINITION_CHARACTERS` is rejected before it is parsed; nesting
    too deep for the parsers is a syntax problem like any other, and so is YAML whose aliases
    expand it past the size limit.
    """
    if isinstance(text, bytes):
        if len(text) > 4 * MAX_DEFINITION_CHARACTERS:  # no UTF-8 character takes more than 4 bytes
            raise DefinitionError([_too_long(source, len(text), "bytes")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionError([Problem("", f"{source} is not UTF-8 text: {exc}")]) from None
    if len(text) > MAX_DEFINITION_CHARACTERS:
        raise DefinitionError([_too_long(source, len(text), "characters")])
    stripped = text.lstrip()
    if not stripped:
        raise DefinitionError([Problem("", f"{source} is empty")])
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except _DuplicateKeys as exc:
        raise DefinitionError([Problem("", f"{source}: {exc}")]) from None
    except json.JSONDecodeError as exc:
        json_error = exc
    except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits; nesting too deep
        raise DefinitionError([Problem("", f"{source} is not valid JSON: {_reason(exc)}")]) from None
    if stripped[0] in "{[":
        raise DefinitionError(
            [Problem("", f"{source} is not valid JSON: {json_error.msg} at line {json_error.lineno} "
                         f"column {json_error.colno}")]
        )
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)
    except _DuplicateKeys as exc:
        raise DefinitionError([Problem("", f"{source}: {exc}")]) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        message = f"{source} is neither valid JSON nor valid YAML: {_reason(exc)}"
        raise DefinitionError([Problem("", message)]) from None
    if _expanded_size(document) > MAX_DEFINITION_CHARACTERS:
        raise DefinitionError([Problem("", f"{source}: its YAML aliases expand it past the limit of "
                                           f"{MAX_DEFINITION_CHARACTERS} characters (1 MB), or refer to themselves")])
    return document


def _too_long(source: str, length: int, unit: str) -> Problem:
    return Problem("", f"{source} is {length} {unit} long; the limit is {MAX_DEFINITION_CHARACTERS} characters (1 MB)")


def _reason(exc: BaseException) -> str:
    return "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def _expanded_size(document: Any) -> int | float:
    """How many values ``document`` holds with every YAML alias expanded (``inf`` for a cycle).

    Iterative, and each shared container is counted once then reused, so this costs the size of
    the parsed text however far its aliases expand.
    """
    sizes: dict[int, int | float] = {}
    stack: list[tuple[Any, bool]] = [(document, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        if children_done:
            sizes[id(node)] = 1 + sum(sizes.get(id(child), 1) for child in children)
            continue
        if id(node) in sizes:
            continue
        sizes[id(node)] = math.inf  # in progress: meeting it again below itself is a cycle
        stack.append((node, True))
        stack.extend((child, False) for child in children if isinstance(child, dict | list) and id(child) not in sizes)
    return sizes.get(id(document), 1)


def read_definition_file(path: str | FilePath) -> Any:
    """Read and parse a definition file; an unreadable file is a clear DefinitionError."""
    try:
        data = FilePath(path).read_bytes()
    except OSError as exc:
        raise DefinitionError([Problem("", f"cannot read {path}: {exc.strerror or exc}")]) from None
    return parse_definition_text(data, str(path))


def load_definition(source: Mapping[str, Any] | str | bytes) -> Definition:
    """Validate and compile a definition given as a dict or as JSON/YAML text.

    Raises :class:`DefinitionError` listing every problem, each with its JSON Pointer.
    """
    document = parse_definition_text(source) if isinstance(source, str | bytes) else source
    key = _cache_key(document)
    cached = _compiled_cache.get(key) if key else None
    if cached is not None:
        return cached
    problems = validate_definition(document)
    if problems:
        raise DefinitionError(problems)
    assert isinstance(document, dict)
    definition = compile_definition(document)
    if key:
        _compiled_cache[key] = definition
    return definition


def _cache_key(document: object) -> str:
    """The content hash of a plain-JSON dict; ``""`` (not cached) for anything else."""
    if not isinstance(document, dict):
        return ""
    try:
        return content_hash(document)
    except (TypeError, ValueError, RecursionError):  # not JSON data, or nested too deeply: validation says why
        return ""
