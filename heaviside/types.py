"""Type aliases shared by every layer (stdlib only)."""

from __future__ import annotations

from typing import Any, TypeAlias

#: Any JSON value as Python holds it: dict, list, str, int, float, bool or None.
#: Kept as ``Any`` because JSON is recursive and values are checked where they are used.
JSON: TypeAlias = Any

#: A JSON object.
JSONObject: TypeAlias = dict[str, Any]
