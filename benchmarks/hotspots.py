"""Profile heaviside on a benchmark workload with cProfile and print the hottest functions.

    python -m benchmarks.hotspots [chain|loop|map|map10k|load ...] [--top N] [--sort tottime|cumulative]

Each target runs warm (one untimed call first) and is repeated so the profile has enough
samples: ``chain`` is ``run_local`` on the 1,000-state Pass chain with Parameters, ``loop`` the
Choice loop to 1,000, ``map`` / ``map10k`` an inline Map over 1,000 / 10,000 items, ``load``
``load_definition`` of the 1,000-state chain with an empty cache. cProfile roughly doubles
the run time; read the figures as shares, not as absolute costs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from collections.abc import Callable, Sequence

from benchmarks.workloads import Workload, choice_loop, inline_map, pass_chain
from heaviside.definition import loader
from heaviside.runner import run_local


def _runner(workload: Workload) -> Callable[[], object]:
    return lambda: run_local(workload.definition, workload.input)


def _loader(workload: Workload) -> Callable[[], object]:
    def load() -> object:
        loader._compiled_cache.clear()
        return loader.load_definition(workload.definition)

    return load


# target -> (what it does, how many profiled repetitions, the operation)
TARGETS: dict[str, tuple[str, int, Callable[[], object]]] = {
    "chain": ("run_local, 1,000 Pass states with Parameters", 50, _runner(pass_chain(1000))),
    "loop": ("run_local, Choice loop to 1,000 (MathAdd)", 30, _runner(choice_loop(1000))),
    "map": ("run_local, inline Map over 1,000 items", 30, _runner(inline_map(1000))),
    "map10k": ("run_local, inline Map over 10,000 items", 5, _runner(inline_map(10_000))),
    "load": ("load_definition (empty cache), 1,000-state Pass chain", 10, _loader(pass_chain(1000))),
}


def profile(target: str, *, top: int = 25, sort: str = "tottime") -> str:
    """The cProfile report of ``target``: the ``top`` functions by ``sort``."""
    title, repetitions, operation = TARGETS[target]
    operation()  # warm-up: imports, definition cache
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repetitions):
        operation()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    header = f"== {target}: {title}, x{repetitions} (sorted by {sort}) =="
    return header + "\n" + _trim(out.getvalue())


def _trim(report: str) -> str:
    """Drop pstats' preamble lines up to the totals line."""
    lines = report.splitlines()
    for index, line in enumerate(lines):
        if "function calls" in line:
            return "\n".join(line.rstrip() for line in lines[index:] if line.strip()) + "\n"
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hotspots", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="target",
                        help=f"what to profile: {', '.join(TARGETS)} (default: chain map10k)")
    parser.add_argument("--top", type=int, default=25, help="functions to list (default 25)")
    parser.add_argument("--sort", choices=["tottime", "cumulative"], default="tottime")
    args = parser.parse_args(argv)
    targets: list[str] = args.targets or ["chain", "map10k"]
    unknown = [target for target in targets if target not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    for target in targets:
        print(profile(target, top=args.top, sort=args.sort))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
