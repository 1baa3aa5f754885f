"""Render an ASL state machine as a diagram: Mermaid flowchart or Graphviz dot text.

:func:`render_graph` takes an already-validated definition (a dict with ``StartAt`` and
``States``) and returns diagram source text. The output is deterministic: the same input gives
the same text, because nodes and edges are emitted in definition order.

The drawing:

* a start marker points at ``StartAt``; ``Succeed``, ``Fail`` and ``End: true`` states lead to
  an end marker (``Fail`` states, and their edges, are red);
* ``Next`` edges are plain; Choice rules are labelled with a short condition
  (``$.x NumericEquals 3``, ``And(...)``, or ``rule N``) and ``Default`` with ``default``;
* ``Catch`` edges are dashed and labelled ``catch <ErrorEquals>``; each ``Retry`` entry is a
  dotted self-loop labelled ``retry <ErrorEquals> (max N)``;
* Parallel branches and Map item processors are nested subgraphs (recursively): the
  Parallel/Map state points at each branch's ``StartAt`` and the branch's terminal states point
  back at it;
* shapes by type: Task rectangle, Pass rounded, Choice diamond, Wait hexagon, Parallel
  subroutine/3-D box, Map trapezoid/component, Succeed/Fail stadium/octagon.

Node ids in the output are generated (``s0``, ``s1``, ...; subgraphs ``g0``, ...; markers
``n_start`` and ``n_end``), so awkward state names never reach an id: names only appear in
labels, escaped for the format.

``highlight`` keys name states by *state path* (see :func:`state_paths`): a top-level state is
its plain name; a state in branch ``i`` of Parallel ``P`` is ``P/i/Name``; a state in the item
processor of Map ``M`` is ``M/Name``; nesting composes (``M/P/0/Name``). Because ASL state names
are unique across a machine, a plain state name is accepted for nested states too. Values are
``"taken"`` or ``"untaken"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

GRAPH_FORMATS: Final[tuple[str, ...]] = ("mermaid", "dot")
HIGHLIGHT_CLASSES: Final[tuple[str, ...]] = ("taken", "untaken")

_START: Final = "n_start"
_END: Final = "n_end"
_MAX_LABEL: Final = 60
_RULE_META: Final = frozenset({"Next", "Comment", "Variable", "Assign", "Output"})


@dataclass
class _Node:
    id: str
    label: str
    kind: str  # ASL state type, or "start" / "end"


@dataclass
class _Edge:
    src: str
    dst: str
    label: str = ""
    kind: str = "next"  # next | choice | catch | retry | fail
    back: bool = False  # from a branch's terminal state back to its Parallel/Map state


@dataclass
class _Cluster:
    id: str
    label: str
    items: list[_Node | _Cluster] = field(default_factory=list)


@dataclass
class _Graph:
    items: list[_Node | _Cluster] = field(default_factory=list)
    edges: list[_Edge] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # state path -> node id
    names: dict[str, list[str]] = field(default_factory=dict)  # state name -> node ids


def _sub_machines(name: str, state: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(path segment prefix, subgraph label, {StartAt, States}) for each nested machine."""
    if state.get("Type") == "Parallel":
        return [(f"{i}/", f"{name} branch {i}", b) for i, b in enumerate(state.get("Branches", []))]
    if state.get("Type") == "Map":
        proc = state.get("ItemProcessor") or state.get("Iterator")
        if proc is not None:
            return [("", f"{name} (Map item processor)", proc)]
    return []


def _iter_paths(machine: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for name, state in machine["States"].items():
        path = prefix + name
        yield path
        for seg, _label, sub in _sub_machines(name, state):
            yield from _iter_paths(sub, f"{path}/{seg}")


def state_paths(definition: Mapping[str, Any]) -> list[str]:
    """Every state's path (the ``highlight`` key scheme), in definition order, depth first."""
    return list(_iter_paths(definition, ""))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def _describe_rule(rule: Mapping[str, Any]) -> str:
    """A short readable condition for a Choice rule ('' when it cannot be described)."""
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f"{combinator}(" + ", ".join(_describe_rule(r) for r in rule[combinator]) + ")"
    if "Not" in rule:
        return f"Not({_describe_rule(rule['Not'])})"
    if "Condition" in rule:  # JSONata: show the expression without its {% %} delimiters
        condition = str(rule["Condition"]).strip()
        if condition.startswith("{%") and condition.endswith("%}"):
            condition = condition[2:-2].strip()
        return condition
    ops = [key for key in rule if key not in _RULE_META]
    if "Variable" in rule and ops:
        op = ops[0]
        value = rule[op]
        shown = str(value) if op.endswith("Path") else json.dumps(value, ensure_ascii=False, sort_keys=True)
        return f"{rule['Variable']} {op} {shown}"
    return ""


def _errors(entry: Mapping[str, Any]) -> str:
    return ", ".join(str(e) for e in entry.get("ErrorEquals", []))


class _Builder:
    def __init__(self) -> None:
        self.graph = _Graph()
        self._nodes = 0
        self._clusters = 0

    def _node_id(self) -> str:
        self._nodes += 1
        return f"s{self._nodes - 1}"

    def _cluster_id(self) -> str:
        self._clusters += 1
        return f"g{self._clusters - 1}"

    def _edge(self, src: str, dst: str, label: str = "", kind: str = "next", back: bool = False) -> None:
        self.graph.edges.append(_Edge(src, dst, label, kind, back))

    def scope(
        self,
        machine: Mapping[str, Any],
        prefix: str,
        items: list[_Node | _Cluster],
        entry: tuple[str, str],
        exit_id: str,
    ) -> None:
        """Add one {StartAt, States} scope, entered by an edge from ``entry`` (id, label)."""
        states: Mapping[str, Mapping[str, Any]] = machine["States"]
        ids = {name: self._node_id() for name in states}

        def target(name: str) -> str:
            if name not in ids:
                raise ValueError(f"state {name!r} is not defined in its scope")
            return ids[name]

        self._edge(entry[0], target(machine["StartAt"]), entry[1])

        for name, state in states.items():
            node_id, kind, path = ids[name], str(state.get("Type", "")), prefix + name
            items.append(_Node(node_id, name, kind))
            self.graph.paths[path] = node_id
            self.graph.names.setdefault(name, []).append(node_id)
            for seg, label, sub in _sub_machines(name, state):
                cluster = _Cluster(self._cluster_id(), label)
                items.append(cluster)
                entry = (node_id, "each item" if kind == "Map" else "")
                self.scope(sub, f"{path}/{seg}", cluster.items, entry, node_id)
            for retrier in state.get("Retry", []):
                label = f"retry {_errors(retrier)} (max {retrier.get('MaxAttempts', 3)})"
                self._edge(node_id, node_id, label, "retry")
            if kind == "Choice":
                for i, rule in enumerate(state.get("Choices", [])):
                    label = _shorten(_describe_rule(rule)) or f"rule {i}"
                    self._edge(node_id, target(rule["Next"]), label, "choice")
                if "Default" in state:
                    self._edge(node_id, target(state["Default"]), "default", "choice")
            if "Next" in state:
                self._edge(node_id, target(state["Next"]))
            if kind == "Fail":
                self._edge(node_id, exit_id, "", "fail", back=exit_id != _END)
            elif kind == "Succeed" or state.get("End") is True:
                self._edge(node_id, exit_id, back=exit_id != _END)
            for catcher in state.get("Catch", []):
                self._edge(node_id, target(catcher["Next"]), f"catch {_errors(catcher)}", "catch")


def _build(definition: Mapping[str, Any]) -> _Graph:
    builder = _Builder()
    graph = builder.graph
    graph.items.append(_Node(_START, "start", "start"))
    builder.scope(definition, "", graph.items, (_START, ""), _END)
    graph.items.append(_Node(_END, "end", "end"))
    return graph


def _resolve_highlight(graph: _Graph, highlight: Mapping[str, str] | None) -> dict[str, str]:
    """Node id -> highlight class."""
    resolved: dict[str, str] = {}
    for key, cls in (highlight or {}).items():
        if cls not in HIGHLIGHT_CLASSES:
            raise ValueError(f"highlight class must be one of {HIGHLIGHT_CLASSES}, got {cls!r}")
        ids = [graph.paths[key]] if key in graph.paths else graph.names.get(key)
        if not ids:
            raise ValueError(f"highlight names no state: {key!r}")
        for node_id in ids:
            resolved[node_id] = cls
    return resolved


def _walk(items: list[_Node | _Cluster]) -> Iterator[_Node]:
    for item in items:
        if isinstance(item, _Node):
            yield item
        else:
            yield from _walk(item.items)


# ----------------------------------------------------------------------------- mermaid

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


def _mermaid_text(text: str) -> str:
    """A label as a Mermaid double-quoted string: entity codes for the characters that break it."""
    out = "".join(_MERMAID_ENTITIES.get(ch, " " if ch < " " else ch) for ch in text)
    return f'"{out}"'


def _mermaid_items(items: list[_Node | _Cluster], depth: int, lines: list[str]) -> None:
    pad = "    " * depth
    for item in items:
        if isinstance(item, _Node):
            opening, closing = _MERMAID_SHAPES.get(item.kind, ("[", "]"))
            lines.append(f"{pad}{item.id}{opening}{_mermaid_text(item.label)}{closing}")
        else:
            lines.append(f"{pad}subgraph {item.id} [{_mermaid_text(item.label)}]")
            lines.append(f"{pad}    direction TB")
            _mermaid_items(item.items, depth + 1, lines)
            lines.append(f"{pad}end")


def _render_mermaid(graph: _Graph, classes: dict[str, str]) -> str:
    lines = ["flowchart TD"]
    _mermaid_items(graph.items, 1, lines)
    link_styles: dict[str, list[str]] = {}
    for index, edge in enumerate(graph.edges):
        arrow = _MERMAID_ARROWS[edge.kind]
        label = f"|{_mermaid_text(edge.label)}|" if edge.label else ""
        lines.append(f"    {edge.src} {arrow}{label} {edge.dst}")
        if edge.kind in _MERMAID_LINK_STYLES:
            link_styles.setdefault(edge.kind, []).append(str(index))
    for kind, indices in link_styles.items():
        lines.append(f"    linkStyle {','.join(indices)} {_MERMAID_LINK_STYLES[kind]}")
    members: dict[str, list[str]] = {}
    for node in _walk(graph.items):
        base = {"Fail": "fail", "Succeed": "succeed", "start": "marker", "end": "marker"}.get(node.kind)
        for cls in (base, classes.get(node.id)):
            if cls is not None:
                members.setdefault(cls, []).append(node.id)
    for cls, style in _MERMAID_CLASSES.items():
        if cls in members:
            lines.append(f"    classDef {cls} {style}")
            lines.append(f"    class {','.join(members[cls])} {cls}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- dot

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


def _dot_items(items: list[_Node | _Cluster], depth: int, classes: dict[str, str], lines: list[str]) -> None:
    pad = "    " * depth
    for item in items:
        if isinstance(item, _Node):
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


def _render_dot(graph: _Graph, classes: dict[str, str]) -> str:
    lines = [
        "digraph state_machine {",
        '    rankdir="TB";',
        '    graph [fontname="Helvetica"];',
        '    node [fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize="10"];',
    ]
    _dot_items(graph.items, 1, classes, lines)
    for edge in graph.edges:
        attrs = dict(_DOT_EDGES[edge.kind])
        if edge.back:  # keep the layout flowing downwards: a branch's return does not rank
            attrs["constraint"] = "false"
        if edge.label:
            attrs = {"label": edge.label, **attrs}
        suffix = f" {_dot_attrs(attrs)}" if attrs else ""
        lines.append(f"    {edge.src} -> {edge.dst}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph(
    definition: Mapping[str, Any], fmt: str = "mermaid", *, highlight: Mapping[str, str] | None = None
) -> str:
    """Render ``definition`` as diagram source text in ``fmt`` (one of :data:`GRAPH_FORMATS`).

    ``highlight`` maps state paths (or plain state names) to ``"taken"`` / ``"untaken"``.
    Raises ValueError for an unknown format, highlight class or highlighted state, or a
    ``Next``/``Default``/``StartAt`` naming a state missing from its scope.
    """
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(GRAPH_FORMATS)}")
    graph = _build(definition)
    classes = _resolve_highlight(graph, highlight)
    return _render_mermaid(graph, classes) if fmt == "mermaid" else _render_dot(graph, classes)
