"""The document as a whole: plain JSON data, nested at most :data:`MAX_NESTING` deep, at most 1 MB.

Runs before every other check, without recursion, so the recursive checks after it (schemas,
templates, the compiler, ``json.dumps``) only ever see JSON values of a bounded depth:

* JSON values only: objects with string keys, arrays, strings, finite numbers, booleans, null
  (a Python caller or a YAML file can produce sets, dates, bytes, ``nan`` or integer keys);
* nesting at most :data:`MAX_NESTING` containers deep. AWS documents no nesting limit for
  definitions; the bound keeps the validator, the compiler and the engine (which recurse over
  templates and data) well inside Python's recursion limit. It allows about 60 levels of nested
  Parallel states, far beyond any real workflow;
* at most :data:`MAX_DEFINITION_BYTES` as compact UTF-8 JSON (Step Functions' quotas: "Maximum
  size of a state machine definition: 1 MB", hard limit).

Each problem points at the offending node (the size problem at the root, ``""``).
"""

from __future__ import annotations

import json
import math
from typing import Final

from heaviside.definition.validation.context import Context, describe
from heaviside.errors import pointer_join

MAX_DEFINITION_BYTES: Final = 1024 * 1024
MAX_NESTING: Final = 300  # containers (objects and arrays) on the way from the root to any value, root included


def check_document(definition: object, ctx: Context) -> bool:
    """Report values that are not JSON, nesting beyond :data:`MAX_NESTING` and a size over 1 MB.

    Returns ``True`` when the document is plain JSON of bounded depth (safe to check further).
    """
    before = len(ctx.problems)
    _check_values(definition, ctx)
    if len(ctx.problems) > before:
        return False
    _check_size(definition, ctx)
    return True


def _check_values(definition: object, ctx: Context) -> None:
    stack: list[tuple[object, str, int]] = [(definition, "", 1)]
    while stack:
        node, pointer, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_NESTING:
                ctx.report(pointer, f"the definition is nested more than {MAX_NESTING} levels deep here")
                continue
            for key, value in node.items():
                if not isinstance(key, str):
                    ctx.report(pointer_join(pointer, str(key)), f"object keys must be strings, not {describe(key)}")
                else:
                    stack.append((value, pointer_join(pointer, key), depth + 1))
        elif isinstance(node, list):
            if depth > MAX_NESTING:
                ctx.report(pointer, f"the definition is nested more than {MAX_NESTING} levels deep here")
                continue
            stack.extend((value, pointer_join(pointer, index), depth + 1) for index, value in enumerate(node))
        elif isinstance(node, float):
            if not math.isfinite(node):
                ctx.report(pointer, f"{node!r} is not a JSON number")
        elif not (node is None or isinstance(node, str | int)):  # bool is an int
            ctx.report(pointer, f"a {type(node).__name__} is not a JSON value: a definition holds only objects, "
                                "arrays, strings, numbers, true, false and null")


def _check_size(definition: object, ctx: Context) -> None:
    text = json.dumps(definition, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DEFINITION_BYTES:
        message = f"the definition is {size} bytes as JSON; the limit is {MAX_DEFINITION_BYTES} bytes (1 MB)"
        ctx.report("", message)
