"""Graphviz dot text for a :class:`~heaviside.graph_model.Graph` (see :mod:`heaviside.graph`).

Parallel branches and Map processors are ``cluster_`` subgraphs; Catch edges dashed, Retry
dotted; highlighted nodes and, in a coverage rendering, edges carry a ``class`` attribute
(``taken``/``untaken``) besides their colours: taken edges bold green, untaken dashed red.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from heaviside.graph_model import Cluster, Graph, Node

_DOT_SHAPES: Final[dict[str, dict[str, str]]] = {
    "Task": {"shape": "box"},
    "Pass": {"shape": "box", "style": "rounded"},
    "Choice": {"shape": "diamond"},
    "Wait": {"shape": "hexagon"},
    "Parallel": {"shape": "box3d"},
    "Map": {"shape": "component"},
    "Succeed": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ddffdd", "color": "#008800"},
    "Fail": {"shape": "octagon", "style": "filled", "fillcolor": "#ffdddd", "color": "#cc0000",
             "fontcolor": "#990000"},
    "start": {"shape": "circle", "style": "filled", "fillcolor": "black", "width": "0.25",
              "fixedsize": "true", "label": ""},
    "end": {"shape": "doublecircle", "style": "filled", "fillcolor": "black", "width": "0.2",
            "fixedsize": "true", "label": ""},
}  # fmt: skip
_DOT_EDGES: Final[dict[str, dict[str, str]]] = {
    "next": {},
    "choice": {},
    "fail": {"color": "#cc0000"},
    "catch": {"style": "dashed", "color": "#dd6600", "fontcolor": "#dd6600"},
    "retry": {"style": "dotted", "color": "#0066cc", "fontcolor": "#0066cc"},
}
#: Edge attributes of a coverage rendering (``class`` lands in SVG output too).
DOT_EDGE_CLASSES: Final[dict[str, dict[str, str]]] = {
    "taken": {"color": "#008800", "fontcolor": "#008800", "penwidth": "2.5", "class": "taken"},
    "untaken": {"style": "dashed", "color": "#ee0000", "fontcolor": "#ee0000", "penwidth": "2", "class": "untaken"},
}
_DOT_HIGHLIGHT: Final[dict[str, dict[str, str]]] = {
    "taken": {"style": "filled,bold", "fillcolor": "#ccffcc", "color": "#008800", "penwidth": "2"},
    "untaken": {"style": "dashed", "color": "#999999", "fontcolor": "#888888"},
}


def _dot_quote(text: str) -> str:
    """A Graphviz double-quoted string (backslash, quote and control characters escaped)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = "".join(ch if ch >= " " else ("\\n" if ch == "\n" else " ") for ch in out)
    return f'"{out}"'


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return "[" + ", ".join(f"{key}={_dot_quote(value)}" for key, value in attrs.items()) + "]"


def _dot_items(items: list[Node | Cluster], depth: int, classes: Mapping[str, str], lines: list[str]) -> None:
    pad = "    " * depth
    for item in items:
        if isinstance(item, Node):
            attrs = {"label": item.label, **_DOT_SHAPES.get(item.kind, {"shape": "box"})}
            extra = _DOT_HIGHLIGHT.get(classes.get(item.id, ""), {})
            styles = [s for s in (attrs.get("style", ""), extra.get("style", "")) if s]
            attrs.update(extra)
            if styles:
                attrs["style"] = ",".join(dict.fromkeys(",".join(styles).split(",")))
            if item.id in classes:
                attrs["class"] = classes[item.id]
            lines.append(f"{pad}{item.id} {_dot_attrs(attrs)};")
        else:
            lines.append(f"{pad}subgraph cluster_{item.id} {{")
            lines.append(f"{pad}    label={_dot_quote(item.label)};")
            lines.append(f'{pad}    style="dashed,rounded";')
            _dot_items(item.items, depth + 1, classes, lines)
            lines.append(f"{pad}}}")


def render_dot(graph: Graph, classes: Mapping[str, str], edge_classes: Mapping[int, str]) -> str:
    """Graphviz dot text; ``classes``: node id -> taken/untaken, ``edge_classes``: edge index -> the same."""
    lines = [
        "digraph state_machine {",
        '    rankdir="TB";',
        '    graph [fontname="Helvetica"];',
        '    node [fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize="10"];',
    ]
    _dot_items(graph.items, 1, classes, lines)
    for index, edge in enumerate(graph.edges):
        attrs = dict(_DOT_EDGES[edge.kind])
        attrs.update(DOT_EDGE_CLASSES.get(edge_classes.get(index, ""), {}))
        if edge.back:  # keep the layout flowing downwards: a branch's return does not rank
            attrs["constraint"] = "false"
        if edge.label:
            attrs = {"label": edge.label, **attrs}
        suffix = f" {_dot_attrs(attrs)}" if attrs else ""
        lines.append(f"    {edge.src} -> {edge.dst}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
