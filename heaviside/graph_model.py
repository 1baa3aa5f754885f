"""The drawing model behind :mod:`heaviside.graph`: nodes, subgraphs and edges of a definition.

:func:`build_graph` turns a definition document into a :class:`Graph` (format-neutral); the
renderers in :mod:`heaviside.graph_mermaid` and :mod:`heaviside.graph_dot` print it. Each edge
names the coverage item (:mod:`heaviside.testing.coverage_items`) whose being taken means the
edge was followed, so a coverage rendering can style edges as well as nodes:

* start -> ``StartAt``: ``state:StartAt``; Parallel -> branch ``i``: ``branch:P#i``; Map -> its
  item processor: ``map:M``;
* ``Next`` edges and the edge from an ``End`` state to its exit: ``next:S``;
* Choice rules: ``choice:C#i`` / ``choice:C#default``; Catch: ``catch:S#i``; Retry: ``retry:S#i``;
* from a Succeed or Fail state to its exit: ``state:S``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from heaviside.testing.coverage_items import BRANCH, CATCH, CHOICE, DEFAULT, MAP, NEXT, RETRY, STATE, item_key

HIGHLIGHT_CLASSES: Final[tuple[str, ...]] = ("taken", "untaken")
START: Final = "n_start"
END: Final = "n_end"
_MAX_LABEL: Final = 60
_RULE_META: Final = frozenset({"Next", "Comment", "Variable", "Assign", "Output"})


@dataclass
class Node:
    id: str
    label: str
    kind: str  # ASL state type, or "start" / "end"


@dataclass
class Edge:
    src: str
    dst: str
    label: str = ""
    kind: str = "next"  # next | choice | catch | retry | fail
    back: bool = False  # from a branch's terminal state back to its Parallel/Map state
    item: str = ""  # the coverage item key this edge stands for


@dataclass
class Cluster:
    id: str
    label: str
    items: list[Node | Cluster] = field(default_factory=list)


@dataclass
class Graph:
    items: list[Node | Cluster] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # state path -> node id
    names: dict[str, list[str]] = field(default_factory=dict)  # state name -> node ids


def sub_machines(name: str, state: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
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
        for seg, _label, sub in sub_machines(name, state):
            yield from _iter_paths(sub, f"{path}/{seg}")


def state_paths(definition: Mapping[str, Any]) -> list[str]:
    """Every state's path (the ``highlight`` key scheme), in definition order, depth first."""
    return list(_iter_paths(definition, ""))


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


def describe_rule(rule: Mapping[str, Any]) -> str:
    """A short readable condition for a Choice rule ('' when it cannot be described)."""
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f"{combinator}(" + ", ".join(describe_rule(r) for r in rule[combinator]) + ")"
    if "Not" in rule:
        return f"Not({describe_rule(rule['Not'])})"
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
        self.graph = Graph()
        self._nodes = 0
        self._clusters = 0

    def _node_id(self) -> str:
        self._nodes += 1
        return f"s{self._nodes - 1}"

    def _cluster_id(self) -> str:
        self._clusters += 1
        return f"g{self._clusters - 1}"

    def _edge(self, src: str, dst: str, item: str, label: str = "", kind: str = "next", back: bool = False) -> None:
        self.graph.edges.append(Edge(src, dst, label, kind, back, item))

    def scope(
        self,
        machine: Mapping[str, Any],
        prefix: str,
        items: list[Node | Cluster],
        entry: tuple[str, str, str],
        exit_id: str,
    ) -> None:
        """Add one {StartAt, States} scope, entered by an edge from ``entry`` (id, label, item)."""
        states: Mapping[str, Mapping[str, Any]] = machine["States"]
        ids = {name: self._node_id() for name in states}

        def target(name: str) -> str:
            if name not in ids:
                raise ValueError(f"state {name!r} is not defined in its scope")
            return ids[name]

        start_at = machine["StartAt"]
        self._edge(entry[0], target(start_at), entry[2] or item_key(STATE, start_at), entry[1])

        for name, state in states.items():
            node_id, kind, path = ids[name], str(state.get("Type", "")), prefix + name
            items.append(Node(node_id, name, kind))
            self.graph.paths[path] = node_id
            self.graph.names.setdefault(name, []).append(node_id)
            for i, (seg, label, sub) in enumerate(sub_machines(name, state)):
                cluster = Cluster(self._cluster_id(), label)
                items.append(cluster)
                if kind == "Map":
                    sub_entry = (node_id, "each item", item_key(MAP, name))
                else:
                    sub_entry = (node_id, "", item_key(BRANCH, name, i))
                self.scope(sub, f"{path}/{seg}", cluster.items, sub_entry, node_id)
            for i, retrier in enumerate(state.get("Retry", [])):
                label = f"retry {_errors(retrier)} (max {retrier.get('MaxAttempts', 3)})"
                self._edge(node_id, node_id, item_key(RETRY, name, i), label, "retry")
            if kind == "Choice":
                for i, rule in enumerate(state.get("Choices", [])):
                    label = shorten(describe_rule(rule)) or f"rule {i}"
                    self._edge(node_id, target(rule["Next"]), item_key(CHOICE, name, i), label, "choice")
                if "Default" in state:
                    self._edge(node_id, target(state["Default"]), item_key(CHOICE, name, DEFAULT), "default",
                               "choice")
            if "Next" in state:
                self._edge(node_id, target(state["Next"]), item_key(NEXT, name))
            if kind == "Fail":
                self._edge(node_id, exit_id, item_key(STATE, name), "", "fail", back=exit_id != END)
            elif kind == "Succeed":
                self._edge(node_id, exit_id, item_key(STATE, name), back=exit_id != END)
            elif state.get("End") is True:
                self._edge(node_id, exit_id, item_key(NEXT, name), back=exit_id != END)
            for i, catcher in enumerate(state.get("Catch", [])):
                self._edge(node_id, target(catcher["Next"]), item_key(CATCH, name, i), f"catch {_errors(catcher)}",
                           "catch")


def build_graph(definition: Mapping[str, Any]) -> Graph:
    """The drawing model of a definition document (``StartAt`` and ``States``)."""
    builder = _Builder()
    graph = builder.graph
    graph.items.append(Node(START, "start", "start"))
    builder.scope(definition, "", graph.items, (START, "", ""), END)
    graph.items.append(Node(END, "end", "end"))
    return graph


def resolve_highlight(graph: Graph, highlight: Mapping[str, str] | None) -> dict[str, str]:
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


def walk_nodes(items: list[Node | Cluster]) -> Iterator[Node]:
    for item in items:
        if isinstance(item, Node):
            yield item
        else:
            yield from walk_nodes(item.items)
