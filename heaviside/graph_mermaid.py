"""Mermaid flowchart text for a :class:`~heaviside.graph_model.Graph` (see :mod:`heaviside.graph`).

Edge styles go in ``linkStyle`` statements by edge index (one per distinct style): Catch edges
dashed orange, Retry dotted blue, Fail red, and in a coverage rendering taken edges thick green
and untaken ones dashed red (:data:`MERMAID_EDGE_CLASSES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from heaviside.graph_model import Cluster, Graph, Node, walk_nodes

_MERMAID_SHAPES: Final[dict[str, tuple[str, str]]] = {
    "Task": ("[", "]"),
    "Pass": ("(", ")"),
    "Choice": ("{", "}"),
    "Wait": ("{{", "}}"),
    "Parallel": ("[[", "]]"),
    "Map": ("[/", "\\]"),
    "Succeed": ("([", "])"),
    "Fail": ("([", "])"),
    "start": ("((", "))"),
    "end": ("(((", ")))"),
}
_MERMAID_ENTITIES: Final = {'"': "#34;", "#": "#35;", "&": "#38;", "<": "#60;", ">": "#62;",
                            "`": "#96;", "|": "#124;"}  # fmt: skip
_MERMAID_CLASSES: Final = {
    "fail": "fill:#fdd,stroke:#c00,color:#900",
    "succeed": "fill:#dfd,stroke:#080",
    "marker": "fill:#333,stroke:#333,color:#fff",
    "taken": "fill:#cfc,stroke:#080,stroke-width:3px",
    "untaken": "fill:#eee,stroke:#999,color:#888,stroke-dasharray:4 3",
}
_MERMAID_ARROWS: Final = {"next": "-->", "choice": "-->", "fail": "-->", "catch": "-.->", "retry": "-.->"}
_MERMAID_LINK_STYLES: Final = {
    "catch": "stroke:#d60,stroke-dasharray:6 4",
    "retry": "stroke:#06c,stroke-dasharray:2 3",
    "fail": "stroke:#c00",
}
#: Edge styles of a coverage rendering (they override the kind's colour; untaken edges are dashed red).
MERMAID_EDGE_CLASSES: Final = {
    "taken": "stroke:#080,stroke-width:3px",
    "untaken": "stroke:#e00,stroke-width:2px,stroke-dasharray:3 3,color:#e00",
}


def _mermaid_text(text: str) -> str:
    """A label as a Mermaid double-quoted string: entity codes for the characters that break it."""
    out = "".join(_MERMAID_ENTITIES.get(ch, " " if ch < " " else ch) for ch in text)
    return f'"{out}"'


def _mermaid_items(items: list[Node | Cluster], depth: int, lines: list[str]) -> None:
    pad = "    " * depth
    for item in items:
        if isinstance(item, Node):
            opening, closing = _MERMAID_SHAPES.get(item.kind, ("[", "]"))
            lines.append(f"{pad}{item.id}{opening}{_mermaid_text(item.label)}{closing}")
        else:
            lines.append(f"{pad}subgraph {item.id} [{_mermaid_text(item.label)}]")
            lines.append(f"{pad}    direction TB")
            _mermaid_items(item.items, depth + 1, lines)
            lines.append(f"{pad}end")


def _merge_styles(*styles: str) -> str:
    """Mermaid style lists (``prop:value,...``) merged left to right: later properties win."""
    merged: dict[str, str] = {}
    for style in styles:
        for part in filter(None, style.split(",")):
            prop, _, value = part.partition(":")
            merged[prop] = value
    return ",".join(f"{prop}:{value}" for prop, value in merged.items())


def render_mermaid(graph: Graph, classes: Mapping[str, str], edge_classes: Mapping[int, str]) -> str:
    """Mermaid flowchart text; ``classes``: node id -> taken/untaken, ``edge_classes``: edge index -> the same."""
    lines = ["flowchart TD"]
    _mermaid_items(graph.items, 1, lines)
    link_styles: dict[str, list[str]] = {}
    for index, edge in enumerate(graph.edges):
        arrow = _MERMAID_ARROWS[edge.kind]
        label = f"|{_mermaid_text(edge.label)}|" if edge.label else ""
        lines.append(f"    {edge.src} {arrow}{label} {edge.dst}")
        style = _merge_styles(_MERMAID_LINK_STYLES.get(edge.kind, ""),
                              MERMAID_EDGE_CLASSES.get(edge_classes.get(index, ""), ""))
        if style:
            link_styles.setdefault(style, []).append(str(index))
    for style, indices in link_styles.items():
        lines.append(f"    linkStyle {','.join(indices)} {style}")
    members: dict[str, list[str]] = {}
    for node in walk_nodes(graph.items):
        base = {"Fail": "fail", "Succeed": "succeed", "start": "marker", "end": "marker"}.get(node.kind)
        for cls in (base, classes.get(node.id)):
            if cls is not None:
                members.setdefault(cls, []).append(node.id)
    for cls, style in _MERMAID_CLASSES.items():
        if cls in members:
            lines.append(f"    classDef {cls} {style}")
            lines.append(f"    class {','.join(members[cls])} {cls}")
    return "\n".join(lines) + "\n"
