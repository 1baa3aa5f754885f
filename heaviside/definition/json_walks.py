"""Walks over JSON values that never recurse: equality keys and Java-style rendering.

Execution data can be nested as deep as the payload limit allows (a loop that wraps its input
once per turn reaches thousands of levels within 256 KiB), so the intrinsic functions that look
at whole values use these rather than recursive helpers, whose depth Python's recursion limit caps.
"""

from __future__ import annotations

import json
from typing import Any

from heaviside.types import JSON


def _scalar_key(value: JSON) -> Any:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 and 1.0 are equal, and hash alike
    return (type(value).__name__, value)


class JsonEquality:
    """Hashable keys, equal exactly for JSON-equal values: ``1 == 1.0``, ``1 != true``, objects unordered.

    Keys are flat: each distinct container is interned as a small integer (its children's keys
    first, post-order), so comparing or hashing two keys never descends into nested tuples. Keys
    are only comparable between values keyed by the same instance.
    """

    def __init__(self) -> None:
        self._ids: dict[Any, int] = {}

    def key(self, value: JSON) -> Any:
        if not isinstance(value, list | dict):
            return _scalar_key(value)
        keys: list[Any] = []  # finished keys of the children being collected, in order
        stack: list[tuple[JSON, bool]] = [(value, False)]
        while stack:
            node, children_done = stack.pop()
            if not isinstance(node, list | dict):
                keys.append(_scalar_key(node))
                continue
            children = list(node.values()) if isinstance(node, dict) else node
            if not children_done:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
                continue
            start = len(keys) - len(children)
            items, keys[start:] = keys[start:], []
            if isinstance(node, list):
                shape: Any = ("array", tuple(items))
            else:
                shape = ("object", frozenset(zip(node, items, strict=True)))
            keys.append(("container", self._ids.setdefault(shape, len(self._ids))))
        return keys[0]


def render(value: JSON) -> str:
    """How States.Format shows a value: strings bare, scalars JSON-style, containers Java-style
    (``{a=1, b=[x, null]}``)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict | list):
        return json.dumps(value)  # null, true/false, numbers
    pieces: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, value)]  # (is literal text, text or value), popped in order
    while stack:
        literal, item = stack.pop()
        if literal or isinstance(item, str):
            pieces.append(item)
        elif isinstance(item, dict | list):
            entries = list(item.items()) if isinstance(item, dict) else [(None, child) for child in item]
            stack.append((True, "}" if isinstance(item, dict) else "]"))
            for index in range(len(entries) - 1, -1, -1):
                key, child = entries[index]
                stack.append((False, child))
                if key is not None:
                    stack.append((True, f"{key}="))
                if index:
                    stack.append((True, ", "))
            stack.append((True, "{" if isinstance(item, dict) else "["))
        else:
            pieces.append(json.dumps(item))  # null, true/false, numbers
    return "".join(pieces)
