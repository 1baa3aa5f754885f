"""Read ASL text (JSON or YAML) into plain Python data, and load it into a compiled definition.

Parsing problems (bad JSON, duplicate keys, a document that is not an object) become
:class:`DefinitionError` problems with the location in the text; a parsed definition is
validated (every problem at once) and compiled. Compiled definitions are cached by the
hash of their canonical JSON, so loading the same definition twice compiles it once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import yaml

from heaviside.definition.compiler import compile_definition, content_hash
from heaviside.definition.model import Definition
from heaviside.definition.validation import validate_definition
from heaviside.errors import DefinitionError, Problem

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
        if key in seen:
            mark = key_node.start_mark
            raise _DuplicateKeys(f"duplicate key {json.dumps(key)} at line {mark.line + 1} column {mark.column + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def parse_definition_text(text: str | bytes, source: str = "definition") -> Any:
    """JSON first; YAML when the text is not JSON. Raises :class:`DefinitionError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionError([Problem("", f"{source} is not UTF-8 text: {exc}")]) from None
    stripped = text.lstrip()
    if not stripped:
        raise DefinitionError([Problem("", f"{source} is empty")])
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except _DuplicateKeys as exc:
        raise DefinitionError([Problem("", f"{source}: {exc}")]) from None
    except json.JSONDecodeError as exc:
        json_error = exc
    if stripped[0] in "{[":
        raise DefinitionError(
            [Problem("", f"{source} is not valid JSON: {json_error.msg} at line {json_error.lineno} "
                         f"column {json_error.colno}")]
        )
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except _DuplicateKeys as exc:
        raise DefinitionError([Problem("", f"{source}: {exc}")]) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem("", f"{source} is neither valid JSON nor valid YAML: {exc}")]) from None


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
    key = content_hash(document) if isinstance(document, dict) else ""
    cached = _compiled_cache.get(key) if key else None
    if cached is not None:
        return cached
    problems = validate_definition(document)
    if problems:
        raise DefinitionError(problems)
    assert isinstance(document, dict)
    definition = compile_definition(document)
    _compiled_cache[key] = definition
    return definition
