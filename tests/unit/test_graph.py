"""Tests for heaviside.graph: Mermaid and dot rendering of state machines.

Mermaid output is checked with a small structural parser written here (every line must be a
node, edge, subgraph, classDef/class or linkStyle statement; ids declared; quotes balanced).
Dot output is parsed structurally and, when Graphviz's ``dot`` is installed, also run through
``dot -Tjson`` to prove it parses and that escaped labels come back as the original names.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import pytest

from heaviside.graph import GRAPH_FORMATS, render_graph, state_paths

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="graphviz 'dot' not installed")

# ----------------------------------------------------------------------------- parsers

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_MERMAID_SHAPES = {
    ("(((", ")))"): "doublecircle",
    ("((", "))"): "circle",
    ("([", "])"): "stadium",
    ("[[", "]]"): "subroutine",
    ("[/", "\\]"): "trapezoid",
    ("{{", "}}"): "hexagon",
    ("[", "]"): "rect",
    ("(", ")"): "rounded",
    ("{", "}"): "diamond",
}
_OPEN = "|".join(re.escape(o) for o, _ in _MERMAID_SHAPES)
_CLOSE = "|".join(re.escape(c) for _, c in _MERMAID_SHAPES)
_M_NODE = re.compile(rf'^({_ID})({_OPEN})"([^"\n]*)"({_CLOSE})$')
_M_EDGE = re.compile(rf'^({_ID}) (-->|-\.->)(?:\|"([^"\n]*)"\|)? ({_ID})$')
_M_SUB = re.compile(rf'^subgraph ({_ID}) \["([^"\n]*)"\]$')
_M_CLASSDEF = re.compile(rf"^classDef ({_ID}) ([^;\n]+)$")
_M_CLASS = re.compile(rf"^class ({_ID}(?:,{_ID})*) ({_ID})$")
_M_LINKSTYLE = re.compile(r"^linkStyle (\d+(?:,\d+)*) ([^;\n]+)$")


def unescape_mermaid(text: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), text)


@dataclass
class Mermaid:
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (shape, label)
    parent: dict[str, str | None] = field(default_factory=dict)  # node/subgraph id -> subgraph id
    subgraphs: dict[str, str] = field(default_factory=dict)  # id -> title
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # src, arrow, label, dst
    classdefs: dict[str, str] = field(default_factory=dict)
    classes: dict[str, set[str]] = field(default_factory=dict)
    linkstyles: dict[int, str] = field(default_factory=dict)

    def by_label(self, label: str) -> str:
        found = [i for i, (_shape, lab) in self.nodes.items() if lab == label]
        assert len(found) == 1, (label, found)
        return found[0]

    def edge_labels(self, src: str, dst: str) -> list[str]:
        return [lab for s, _a, lab, d in self.edges if s == src and d == dst]

    def ancestors(self, item: str) -> list[str]:
        out: list[str] = []
        current = self.parent[item]
        while current is not None:
            out.append(current)
            current = self.parent[current]
        return out


def parse_mermaid(text: str) -> Mermaid:
    """Parse (and so validate) the subset of Mermaid flowchart syntax the renderer emits."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert text.endswith("\n")
    out = Mermaid()
    stack: list[str] = []
    for raw in lines[1:]:
        line = raw.strip()
        assert raw.startswith("    ") and line, f"bad indentation: {raw!r}"
        current = stack[-1] if stack else None
        if m := _M_NODE.match(line):
            shape = _MERMAID_SHAPES.get((m.group(2), m.group(4)))
            assert shape is not None, f"mismatched shape brackets: {line!r}"
            assert m.group(1) not in out.nodes, f"node declared twice: {line!r}"
            assert m.group(1) != "end"
            out.nodes[m.group(1)] = (shape, unescape_mermaid(m.group(3)))
            out.parent[m.group(1)] = current
        elif m := _M_SUB.match(line):
            assert m.group(1) not in out.subgraphs and m.group(1) not in out.nodes
            out.subgraphs[m.group(1)] = unescape_mermaid(m.group(2))
            out.parent[m.group(1)] = current
            stack.append(m.group(1))
        elif line == "direction TB":
            assert stack
        elif line == "end":
            assert stack, "unbalanced end"
            stack.pop()
        elif m := _M_EDGE.match(line):
            assert not stack, "edges are declared outside subgraphs"
            for end in (m.group(1), m.group(4)):
                assert end in out.nodes, f"edge to undeclared node: {line!r}"
            out.edges.append((m.group(1), m.group(2), unescape_mermaid(m.group(3) or ""), m.group(4)))
        elif m := _M_CLASSDEF.match(line):
            out.classdefs[m.group(1)] = m.group(2)
        elif m := _M_CLASS.match(line):
            assert m.group(2) in out.classdefs, "class used before classDef"
            ids = set(m.group(1).split(","))
            assert ids <= set(out.nodes)
            out.classes.setdefault(m.group(2), set()).update(ids)
        elif m := _M_LINKSTYLE.match(line):
            for index in m.group(1).split(","):
                assert int(index) < len(out.edges)
                out.linkstyles[int(index)] = m.group(2)
        else:
            raise AssertionError(f"unrecognised mermaid line: {raw!r}")
    assert not stack, "unclosed subgraph"
    return out


_D_STRING = r'"(?:[^"\\\n]|\\.)*"'
_D_ATTRS = rf"\[((?:{_ID}={_D_STRING}(?:, )?)*)\]"
_D_NODE = re.compile(rf"^({_ID}) {_D_ATTRS};$")
_D_EDGE = re.compile(rf"^({_ID}) -> ({_ID})(?: {_D_ATTRS})?;$")
_D_SETTING = re.compile(rf"^{_ID}={_D_STRING};$")
_D_DEFAULTS = re.compile(rf"^(?:graph|node|edge) {_D_ATTRS};$")
_D_ATTR = re.compile(rf"({_ID})=({_D_STRING})")


def _unquote_dot(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), text[1:-1])


@dataclass
class Dot:
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    parent: dict[str, str | None] = field(default_factory=dict)
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> label
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def by_label(self, label: str) -> str:
        found = [i for i, attrs in self.nodes.items() if attrs["label"] == label]
        assert len(found) == 1, (label, found)
        return found[0]

    def edges_between(self, src: str, dst: str) -> list[dict[str, str]]:
        return [attrs for s, d, attrs in self.edges if s == src and d == dst]


def parse_dot(text: str) -> Dot:
    """Parse the subset of dot the renderer emits (cluster nesting, node and edge attributes)."""
    lines = text.splitlines()
    assert lines[0] == "digraph state_machine {" and lines[-1] == "}"
    out = Dot()
    stack: list[str] = []
    for raw in lines[1:-1]:
        line = raw.strip()
        current = stack[-1] if stack else None
        if m := re.match(rf"^subgraph (cluster_{_ID}) \{{$", line):
            out.clusters[m.group(1)] = ""
            out.parent[m.group(1)] = current
            stack.append(m.group(1))
        elif line == "}":
            assert stack
            stack.pop()
        elif m := re.match(rf"^label=({_D_STRING});$", line):
            assert current is not None
            out.clusters[current] = _unquote_dot(m.group(1))
        elif _D_SETTING.match(line) or _D_DEFAULTS.match(line):
            pass
        elif m := _D_EDGE.match(line):
            attrs = {k: _unquote_dot(v) for k, v in _D_ATTR.findall(m.group(3) or "")}
            assert m.group(1) in out.nodes and m.group(2) in out.nodes
            out.edges.append((m.group(1), m.group(2), attrs))
        elif m := _D_NODE.match(line):
            assert m.group(1) not in out.nodes
            out.nodes[m.group(1)] = {k: _unquote_dot(v) for k, v in _D_ATTR.findall(m.group(2))}
            out.parent[m.group(1)] = current
        else:
            raise AssertionError(f"unrecognised dot line: {raw!r}")
    assert not stack
    return out


def run_dot(text: str, out_format: str) -> bytes:
    """Let Graphviz parse and lay out ``text``; fails on any error or warning."""
    proc = subprocess.run(
        ["dot", f"-T{out_format}"], input=text.encode(), capture_output=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b"", proc.stderr.decode()
    return proc.stdout


def run_dot_json(text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(run_dot(text, "json"))
    return result


def rendered_svg_texts(text: str) -> list[str]:
    """The text lines Graphviz actually draws (labels after escape processing)."""
    root = ElementTree.fromstring(run_dot(text, "svg"))
    return [el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text")]


# ----------------------------------------------------------------------------- fixtures


def task(nxt: str | None = None, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", **extra}
    state.update({"Next": nxt} if nxt else {"End": True})
    return state


ALL_TYPES: dict[str, Any] = {
    "StartAt": "Begin",
    "States": {
        "Begin": {"Type": "Pass", "Next": "Work"},
        "Work": task(
            "Decide",
            Retry=[{"ErrorEquals": ["States.Timeout", "Oops"], "MaxAttempts": 5}, {"ErrorEquals": ["X"]}],
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Broken"}],
        ),
        "Decide": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.x", "NumericEquals": 3, "Next": "Pause"},
                {"Variable": "$.y", "StringEqualsPath": "$.z", "Next": "Fan"},
                {
                    "And": [
                        {"Variable": "$.a", "IsPresent": True},
                        {"Not": {"Variable": "$.b", "StringEquals": "no"}},
                    ],
                    "Next": "Each",
                },
                {"Next": "Done"},  # not describable: falls back to the rule index
            ],
            "Default": "Broken",
        },
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "B0", "States": {"B0": {"Type": "Pass", "End": True}}},
                {"StartAt": "B1", "States": {"B1": task("B1 fail"), "B1 fail": {"Type": "Fail"}}},
            ],
            "Next": "Done",
        },
        "Each": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": task()}},
            "End": True,
        },
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Broken"},
    },
}

NESTED: dict[str, Any] = {
    "StartAt": "Outer",
    "States": {
        "Outer": {
            "Type": "Map",
            "Iterator": {  # legacy spelling
                "StartAt": "Inner",
                "States": {
                    "Inner": {
                        "Type": "Parallel",
                        "Branches": [
                            {"StartAt": "Leaf0", "States": {"Leaf0": task()}},
                            {"StartAt": "Leaf1", "States": {"Leaf1": {"Type": "Succeed"}}},
                        ],
                        "End": True,
                    }
                },
            },
            "End": True,
        }
    },
}

AWKWARD = [
    "with spaces",
    'double "quotes"',
    "single 'quotes'",
    "[brackets] (parens) {braces}",
    "arrow --> here",
    "dotted -.-> arrow",
    "pipe | bar",
    "hash #35; entity",
    "ünïcödé ✓ 状态",
    "back\\slash\\",
    "<b>html</b> & amp",
    "end",
    "subgraph",
    "node",
    "semi; colon:",
    "`tick`",
]


def chain(names: list[str]) -> dict[str, Any]:
    states = {n: task(names[i + 1] if i + 1 < len(names) else None) for i, n in enumerate(names)}
    return {"StartAt": names[0], "States": states}


# ----------------------------------------------------------------------------- tests


def test_formats_and_unknown_format() -> None:
    assert GRAPH_FORMATS == ("mermaid", "dot")
    with pytest.raises(ValueError, match="format"):
        render_graph(ALL_TYPES, "svg")


def test_default_format_is_mermaid() -> None:
    assert render_graph(ALL_TYPES) == render_graph(ALL_TYPES, "mermaid")
    assert render_graph(ALL_TYPES).startswith("flowchart TD\n")


@pytest.mark.parametrize(
    ("name", "mermaid_shape", "dot_shape"),
    [
        ("Begin", "rounded", "box"),
        ("Work", "rect", "box"),
        ("Decide", "diamond", "diamond"),
        ("Pause", "hexagon", "hexagon"),
        ("Fan", "subroutine", "box3d"),
        ("Each", "trapezoid", "component"),
        ("Done", "stadium", "box"),
        ("Broken", "stadium", "octagon"),
    ],
)
def test_node_shape_per_type(name: str, mermaid_shape: str, dot_shape: str) -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES, "mermaid"))
    assert mm.nodes[mm.by_label(name)][0] == mermaid_shape
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    assert dot.nodes[dot.by_label(name)]["shape"] == dot_shape


def test_pass_rounded_in_dot() -> None:
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    assert "rounded" in dot.nodes[dot.by_label("Begin")]["style"]
    assert "style" not in dot.nodes[dot.by_label("Work")]


def test_start_and_end_markers_mermaid() -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES))
    assert mm.nodes["n_start"][0] == "circle" and mm.nodes["n_end"][0] == "doublecircle"
    assert [d for s, _a, _l, d in mm.edges if s == "n_start"] == [mm.by_label("Begin")]
    into_end = {s for s, _a, _l, d in mm.edges if d == "n_end"}
    assert into_end == {mm.by_label("Done"), mm.by_label("Broken"), mm.by_label("Each")}


def test_start_and_end_markers_dot() -> None:
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    assert [d for s, d, _a in dot.edges if s == "n_start"] == [dot.by_label("Begin")]
    into_end = {s for s, d, _a in dot.edges if d == "n_end"}
    assert into_end == {dot.by_label("Done"), dot.by_label("Broken"), dot.by_label("Each")}
    assert dot.nodes["n_end"]["shape"] == "doublecircle"


def test_fail_states_are_red() -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES))
    fails = {mm.by_label("Broken"), mm.by_label("B1 fail")}
    assert mm.classes["fail"] == fails
    assert "#c00" in mm.classdefs["fail"]
    assert mm.by_label("Done") not in mm.classes["fail"]
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    for name in ("Broken", "B1 fail"):
        assert dot.nodes[dot.by_label(name)]["color"] == "#cc0000"
    assert "color" not in dot.nodes[dot.by_label("Work")]


def test_next_and_catch_edges_are_distinct_mermaid() -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES))
    work, decide, broken = mm.by_label("Work"), mm.by_label("Decide"), mm.by_label("Broken")
    [(next_index, nxt)] = [(i, e) for i, e in enumerate(mm.edges) if e[0] == work and e[3] == decide]
    [(catch_index, catch)] = [(i, e) for i, e in enumerate(mm.edges) if e[0] == work and e[3] == broken]
    assert nxt[1] == "-->" and nxt[2] == ""
    assert catch[1] == "-.->" and catch[2] == "catch States.ALL"
    assert "dasharray" in mm.linkstyles[catch_index]
    assert next_index not in mm.linkstyles


def test_next_and_catch_edges_are_distinct_dot() -> None:
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    work = dot.by_label("Work")
    assert dot.edges_between(work, dot.by_label("Decide")) == [{}]
    [catch] = dot.edges_between(work, dot.by_label("Broken"))
    assert catch["style"] == "dashed" and catch["label"] == "catch States.ALL"


def test_retry_self_loops() -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES))
    work = mm.by_label("Work")
    assert mm.edge_labels(work, work) == ["retry States.Timeout, Oops (max 5)", "retry X (max 3)"]
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    loops = dot.edges_between(dot.by_label("Work"), dot.by_label("Work"))
    assert [e["label"] for e in loops] == ["retry States.Timeout, Oops (max 5)", "retry X (max 3)"]
    assert all(e["style"] == "dotted" for e in loops)


def test_choice_labels() -> None:
    for fmt in GRAPH_FORMATS:
        text = render_graph(ALL_TYPES, fmt)
        if fmt == "mermaid":
            mm = parse_mermaid(text)
            labels = {(mm.nodes[d][1], lab) for s, _a, lab, d in mm.edges if s == mm.by_label("Decide")}
        else:
            dot = parse_dot(text)
            decide = dot.by_label("Decide")
            labels = {(dot.nodes[d]["label"], a.get("label", "")) for s, d, a in dot.edges if s == decide}
        assert labels == {
            ("Pause", "$.x NumericEquals 3"),
            ("Fan", "$.y StringEqualsPath $.z"),
            ("Each", 'And($.a IsPresent true, Not($.b StringEquals "no"))'),
            ("Done", "rule 3"),
            ("Broken", "default"),
        }, fmt


def test_long_choice_label_is_shortened() -> None:
    rule = {"Variable": "$.a_very_long_variable_name.with.many.parts", "StringEquals": "x" * 80, "Next": "B"}
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Choice", "Choices": [rule]}, "B": {"Type": "Succeed"}},
    }
    mm = parse_mermaid(render_graph(definition))
    [label] = mm.edge_labels(mm.by_label("A"), mm.by_label("B"))
    assert len(label) == 60 and label.endswith("…") and label.startswith("$.a_very_long")


def test_parallel_branches_are_subgraphs_mermaid() -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES))
    fan, b0, b1, b1f = (mm.by_label(n) for n in ("Fan", "B0", "B1", "B1 fail"))
    assert mm.parent[fan] is None
    g0, g1 = mm.parent[b0], mm.parent[b1]
    assert g0 is not None and g1 is not None and g0 != g1
    assert mm.parent[b1f] == g1
    assert mm.subgraphs[g0] == "Fan branch 0" and mm.subgraphs[g1] == "Fan branch 1"
    assert mm.edge_labels(fan, b0) == [""] and mm.edge_labels(fan, b1) == [""]
    # branch ends flow back to the Parallel state, not to the machine's end
    assert mm.edge_labels(b0, fan) == [""] and mm.edge_labels(b1f, fan) == [""]
    assert mm.edge_labels(b0, "n_end") == [] and mm.edge_labels(b1f, "n_end") == []
    assert mm.edge_labels(b1, b1f) == [""]
    assert mm.edge_labels(fan, mm.by_label("Done")) == [""]


def test_parallel_branches_are_clusters_dot() -> None:
    dot = parse_dot(render_graph(ALL_TYPES, "dot"))
    fan, b0, b1f = (dot.by_label(n) for n in ("Fan", "B0", "B1 fail"))
    c0, c1 = dot.parent[b0], dot.parent[b1f]
    assert c0 is not None and c1 is not None and c0 != c1
    assert c0.startswith("cluster_") and dot.clusters[c0] == "Fan branch 0"
    assert dot.parent[fan] is None
    assert dot.edges_between(fan, b0) == [{}]
    [back] = dot.edges_between(b0, fan)
    assert back["constraint"] == "false"  # returns do not drag the layout upwards
    [fail_back] = dot.edges_between(b1f, fan)
    assert fail_back == {"color": "#cc0000", "constraint": "false"}
    [top_fail] = dot.edges_between(dot.by_label("Broken"), "n_end")
    assert "constraint" not in top_fail


def test_map_item_processor_subgraph() -> None:
    mm = parse_mermaid(render_graph(ALL_TYPES))
    each, item = mm.by_label("Each"), mm.by_label("Item")
    group = mm.parent[item]
    assert group is not None and mm.subgraphs[group] == "Each (Map item processor)"
    assert mm.edge_labels(each, item) == ["each item"]
    assert mm.edge_labels(item, each) == [""]


def test_nested_parallel_inside_legacy_iterator_map() -> None:
    mm = parse_mermaid(render_graph(NESTED))
    outer, inner, leaf0, leaf1 = (mm.by_label(n) for n in ("Outer", "Inner", "Leaf0", "Leaf1"))
    map_group = mm.parent[inner]
    assert map_group is not None and mm.parent[outer] is None
    assert mm.ancestors(leaf0)[1:] == [map_group] and mm.ancestors(leaf1)[1:] == [map_group]
    assert mm.parent[leaf0] != mm.parent[leaf1]
    assert len(mm.subgraphs) == 3
    assert mm.edge_labels(outer, inner) == ["each item"]
    assert mm.edge_labels(inner, leaf0) == [""] and mm.edge_labels(leaf1, inner) == [""]
    assert mm.edge_labels(inner, outer) == [""]  # Inner has End: true inside the Map
    assert mm.edge_labels(outer, "n_end") == [""]
    dot = parse_dot(render_graph(NESTED, "dot"))
    leaf_cluster = dot.parent[dot.by_label("Leaf0")]
    assert leaf_cluster is not None
    assert dot.parent[leaf_cluster] == dot.parent[dot.by_label("Inner")] is not None


def test_subgraph_and_node_ids_unique_even_with_repeated_names() -> None:
    # invalid ASL (names must be unique), but ids must still never collide
    branch = {"StartAt": "Same", "States": {"Same": {"Type": "Pass", "End": True}}}
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "Branches": [branch, branch, branch], "End": True}},
    }
    mm = parse_mermaid(render_graph(definition))
    same = [i for i, (_s, label) in mm.nodes.items() if label == "Same"]
    assert len(same) == 3 and len({mm.parent[i] for i in same}) == 3
    dot = parse_dot(render_graph(definition, "dot"))
    assert len(dot.clusters) == 3
    assert len({n for n, a in dot.nodes.items() if a["label"] == "Same"}) == 3
    highlighted = parse_mermaid(render_graph(definition, highlight={"P/2/Same": "taken"}))
    assert highlighted.classes["taken"] == {same[2]}
    by_name = parse_mermaid(render_graph(definition, highlight={"Same": "untaken"}))
    assert by_name.classes["untaken"] == set(same)  # a plain name marks every state so named


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_deterministic(fmt: str) -> None:
    first = render_graph(ALL_TYPES, fmt, highlight={"Work": "taken", "Fan/1/B1": "untaken"})
    copy = json.loads(json.dumps(ALL_TYPES))
    assert render_graph(copy, fmt, highlight={"Work": "taken", "Fan/1/B1": "untaken"}) == first


def test_awkward_names_mermaid() -> None:
    text = render_graph(chain(AWKWARD), highlight={AWKWARD[1]: "taken"})
    mm = parse_mermaid(text)
    labels = {label for _shape, label in mm.nodes.values()}
    assert set(AWKWARD) <= labels
    for name in AWKWARD:  # the raw name must never appear verbatim where it could be syntax
        if any(ch in name for ch in '"|#<>&`'):
            assert name not in text
    # the literal arrows inside names did not become edges
    assert len(mm.edges) == len(AWKWARD) + 1


def test_control_characters_in_mermaid_labels() -> None:
    mm = parse_mermaid(render_graph(chain(["new\nline", "tab\there"])))
    assert {label for _shape, label in mm.nodes.values()} >= {"new line", "tab here"}


def test_awkward_names_in_subgraph_titles_and_edge_labels() -> None:
    name = 'P "x" --> |y| #1'
    definition = {
        "StartAt": name,
        "States": {
            name: {
                "Type": "Parallel",
                "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}],
                "Catch": [{"ErrorEquals": ['Err"or|1'], "Next": "F"}],
                "End": True,
            },
            "F": {"Type": "Fail"},
        },
    }
    mm = parse_mermaid(render_graph(definition))
    assert list(mm.subgraphs.values()) == [f"{name} branch 0"]
    assert mm.edge_labels(mm.by_label(name), mm.by_label("F")) == ['catch Err"or|1']
    dot = parse_dot(render_graph(definition, "dot"))
    assert list(dot.clusters.values()) == [f"{name} branch 0"]
    [catch] = dot.edges_between(dot.by_label(name), dot.by_label("F"))
    assert catch["label"] == 'catch Err"or|1'


def test_awkward_names_dot_structure() -> None:
    dot = parse_dot(render_graph(chain(AWKWARD), "dot"))
    assert {attrs["label"] for attrs in dot.nodes.values()} >= set(AWKWARD)


@needs_dot
def test_awkward_names_dot_parses_with_graphviz() -> None:
    text = render_graph(chain([*AWKWARD, "new\nline"]), "dot")
    assert len(run_dot_json(text)["edges"]) == len(AWKWARD) + 2
    drawn = rendered_svg_texts(text)
    assert set(AWKWARD) <= set(drawn)  # drawn exactly as named: quotes, backslashes, unicode...
    assert drawn[-2:] == ["new", "line"]  # a newline in a name becomes a line break


@needs_dot
@pytest.mark.parametrize("definition", [ALL_TYPES, NESTED], ids=["all_types", "nested"])
def test_dot_output_parses_with_graphviz(definition: dict[str, Any]) -> None:
    text = render_graph(definition, "dot", highlight={state_paths(definition)[-1]: "taken"})
    result = run_dot_json(text)
    clusters = [obj["name"] for obj in result["objects"] if obj["name"].startswith("cluster_")]
    assert len(clusters) == len(parse_dot(text).clusters) > 0


def test_state_paths() -> None:
    assert state_paths(NESTED) == ["Outer", "Outer/Inner", "Outer/Inner/0/Leaf0", "Outer/Inner/1/Leaf1"]
    assert "Fan/1/B1 fail" in state_paths(ALL_TYPES) and "Each/Item" in state_paths(ALL_TYPES)


def test_highlight_mermaid_by_path_and_name() -> None:
    highlight = {"Outer/Inner/0/Leaf0": "taken", "Leaf1": "untaken", "Outer": "taken"}
    mm = parse_mermaid(render_graph(NESTED, highlight=highlight))
    assert mm.classes["taken"] == {mm.by_label("Leaf0"), mm.by_label("Outer")}
    assert mm.classes["untaken"] == {mm.by_label("Leaf1")}
    assert "stroke-dasharray" in mm.classdefs["untaken"]
    plain = parse_mermaid(render_graph(NESTED))
    assert "taken" not in plain.classes and "taken" not in plain.classdefs


def test_highlight_dot() -> None:
    highlight = {"Work": "taken", "Each/Item": "untaken", "Begin": "taken"}
    text = render_graph(ALL_TYPES, "dot", highlight=highlight)
    dot = parse_dot(text)
    work, item, begin = (dot.nodes[dot.by_label(n)] for n in ("Work", "Item", "Begin"))
    assert work["class"] == "taken" and "bold" in work["style"] and work["fillcolor"] == "#ccffcc"
    assert item["class"] == "untaken" and item["style"] == "dashed"
    assert begin["style"] == "rounded,filled,bold"  # the Pass shape's rounding is kept
    assert "class" not in dot.nodes[dot.by_label("Decide")]


def test_highlight_errors() -> None:
    with pytest.raises(ValueError, match="class"):
        render_graph(ALL_TYPES, highlight={"Work": "hot"})
    with pytest.raises(ValueError, match="no state"):
        render_graph(ALL_TYPES, highlight={"Nope": "taken"})
    with pytest.raises(ValueError, match="no state"):
        render_graph(ALL_TYPES, "dot", highlight={"Fan/0/B1": "taken"})  # B1 is in branch 1


def test_dangling_next_is_reported() -> None:
    with pytest.raises(ValueError, match="Elsewhere"):
        render_graph({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Elsewhere"}}})


def test_jsonata_condition_label_drops_delimiters() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n < 3 %}", "Next": "D"}], "Default": "D"},
        "D": {"Type": "Succeed"}}}
    diagram = parse_mermaid(render_graph(definition, "mermaid"))
    labels = diagram.edge_labels(diagram.by_label("C"), diagram.by_label("D"))
    assert "$states.input.n < 3" in labels
