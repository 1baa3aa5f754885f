"""The progress line of long local runs: drawn on terminals only, counting Map iterations."""

from __future__ import annotations

import io

from heaviside import run_local
from heaviside.progress import RunProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_is_drawn_when_the_stream_is_not_a_terminal() -> None:
    assert RunProgress.for_stream(io.StringIO()) is None


def test_a_big_map_shows_its_iterations_and_the_line_is_erased_at_the_end() -> None:
    ticks = iter(float(n) for n in range(100_000))
    terminal = Terminal()
    progress = RunProgress(terminal, clock=lambda: next(ticks))
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    record = run_local(definition, list(range(2000)), observer=progress.observe)
    assert record.status == "SUCCEEDED"
    assert (progress.iterations, progress.done) == (2000, 2000)
    assert "2,000/2,000 Map iterations" in progress.line(10.0)
    assert "[########################]" in progress.line(10.0)
    progress.close()
    drawn = terminal.getvalue()
    assert "\r[########################] 2,000/2,000 Map iterations" in drawn and drawn.endswith("\r\x1b[K")


def test_a_run_without_maps_counts_states() -> None:
    progress = RunProgress(Terminal(), clock=lambda: 0.0)
    run_local({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}},
              {}, observer=progress.observe)
    assert progress.line(1.5) == "2 states entered, 1.5s"
