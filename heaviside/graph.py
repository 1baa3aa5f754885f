"""Render an ASL state machine as a diagram: Mermaid flowchart or Graphviz dot text.

:func:`render_graph` takes an already-validated definition (a dict with ``StartAt`` and
``States``) and returns diagram source text. The output is deterministic: the same input gives
the same text, because nodes and edges are emitted in definition order. This module is the
entry point; the drawing model is :mod:`heaviside.graph_model`, the formats
:mod:`heaviside.graph_mermaid` and :mod:`heaviside.graph_dot`.

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

``coverage`` (a :class:`heaviside.testing.coverage.Coverage` of the same definition) marks every
state node *and every edge* taken or untaken: nodes get the ``taken``/``untaken`` classes (an
explicit ``highlight`` wins for a node it names); edges are styled through Mermaid ``linkStyle``
statements (taken: thick green; untaken: dashed red) or dot edge attributes (the same colours
plus ``class="taken"``/``class="untaken"``). Which coverage item each edge stands for is listed
in :mod:`heaviside.graph_model`; the start/end markers' own edges follow their state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from heaviside.graph_dot import render_dot
from heaviside.graph_mermaid import render_mermaid
from heaviside.graph_model import HIGHLIGHT_CLASSES, build_graph, resolve_highlight, state_paths, walk_nodes
from heaviside.testing.coverage_items import STATE, item_key

if TYPE_CHECKING:
    from heaviside.testing.coverage import Coverage

__all__ = ["GRAPH_FORMATS", "HIGHLIGHT_CLASSES", "render_graph", "state_paths"]

GRAPH_FORMATS: Final[tuple[str, ...]] = ("mermaid", "dot")


def _classes(taken: bool) -> str:
    return "taken" if taken else "untaken"


def render_graph(
    definition: Mapping[str, Any],
    fmt: str = "mermaid",
    *,
    highlight: Mapping[str, str] | None = None,
    coverage: Coverage | None = None,
) -> str:
    """Render ``definition`` as diagram source text in ``fmt`` (one of :data:`GRAPH_FORMATS`).

    ``highlight`` maps state paths (or plain state names) to ``"taken"`` / ``"untaken"``;
    ``coverage`` styles every state and edge by whether the runs it holds took them.
    Raises ValueError for an unknown format, highlight class or highlighted state, a coverage
    made for another definition, or a ``Next``/``Default``/``StartAt`` naming a state missing
    from its scope.
    """
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(GRAPH_FORMATS)}")
    graph = build_graph(definition)
    classes: dict[str, str] = {}
    edge_classes: dict[int, str] = {}
    if coverage is not None:
        from heaviside.definition.compiler import content_hash

        digest = content_hash(dict(definition))
        if digest != coverage.definition_hash:
            raise ValueError(f"the coverage was recorded for another definition (sha256 {coverage.definition_hash}, "
                             f"this one is {digest})")
        hits = coverage.hits
        for node in walk_nodes(graph.items):
            key = item_key(STATE, node.label)
            if node.kind not in ("start", "end") and key in hits:
                classes[node.id] = _classes(hits[key] > 0)
        for index, edge in enumerate(graph.edges):
            if edge.item in hits:
                edge_classes[index] = _classes(hits[edge.item] > 0)
    classes.update(resolve_highlight(graph, highlight))
    if fmt == "mermaid":
        return render_mermaid(graph, classes, edge_classes)
    return render_dot(graph, classes, edge_classes)
