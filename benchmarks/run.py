"""Run heaviside's benchmarks and print the result tables.

    python -m benchmarks.run [--quick] [--markdown] [--no-moto] [--size N] [--runs N] ...

Part 1 runs the same three definitions (a 1,000-state Pass chain with Parameters, a Choice
loop counting to 1,000 with ``States.MathAdd``, an inline Map over 1,000 items) on heaviside's
``run_local`` and on moto's Step Functions interpreter, checks that both return the expected
output and execute the same number of states, and reports medians, per-transition times and
the moto/heaviside ratio (target: at least 1,000x). A JSONata table puts the Pass chain and the
Choice loop next to their JSONata twins (``Output`` from ``$states.input``; the loop also with a
workflow variable, ``Assign``) on heaviside, with the JSONata/JSONPath ratio, and moto's figure
for the JSONata loop when moto can run it (else a note says why not). Part 2 measures heaviside
alone: a Pass transition (engine only and through ``run_local``), definition loading per state
(validation and compilation separately) and an inline Map over 10,000 items end to end.

Progress goes to stderr, the tables to stdout. The exit status is 1 when an implementation
returned a wrong output (the figures are then void), else 0: missed targets are reported, not
failed. This is never part of the pytest run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks import heaviside_bench, jsonata_bench, moto_bench
from benchmarks.report import Table, render
from benchmarks.timing import (
    Sample,
    calibration,
    format_seconds,
    load_average,
    machine_info,
    measure,
    measure_interleaved,
    package_version,
)
from benchmarks.workloads import Workload, choice_loop, comparison_workloads, inline_map, pass_chain
from heaviside.types import JSON

RATIO_TARGET = 1000.0
PASS_TARGET_SECONDS = 5e-6
LOAD_TARGET_SECONDS = 50e-6
MAP_TARGET_SECONDS = 1.0


@dataclass(frozen=True)
class Settings:
    size: int
    runs: int
    moto_runs: int
    moto_budget: float
    map_items: int
    moto: bool
    markdown: bool
    quick: bool


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer runs and 200-iteration comparison workloads (about ten seconds)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--no-moto", action="store_true", help="skip the moto comparison")
    parser.add_argument("--size", type=int, help="iterations of each comparison workload (default 1000; quick 200)")
    parser.add_argument("--runs", type=int, help="measured heaviside runs per figure (default 50; quick 5)")
    parser.add_argument("--moto-runs", type=int,
                        help="at most this many moto runs per workload (default 5; quick 1)")
    parser.add_argument("--moto-budget", type=float, default=30.0,
                        help="stop repeating a moto workload once its runs took this many seconds (default 30)")
    parser.add_argument("--map-items", type=int, default=10_000, help="items of the large inline Map (default 10000)")
    args = parser.parse_args(argv)
    quick: bool = args.quick
    settings = Settings(
        size=args.size if args.size is not None else (200 if quick else 1000),
        runs=args.runs if args.runs is not None else (5 if quick else 50),
        moto_runs=args.moto_runs if args.moto_runs is not None else (1 if quick else 5),
        moto_budget=args.moto_budget,
        map_items=args.map_items,
        moto=not args.no_moto,
        markdown=args.markdown,
        quick=quick,
    )
    if min(settings.size, settings.runs, settings.moto_runs, settings.map_items) < 1:
        parser.error("sizes and run counts must be at least 1")
    return settings


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _ratio(value: float) -> str:
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2f}x"


def _met(value: float, target: float, *, at_most: bool = True) -> str:
    return "yes" if (value <= target if at_most else value >= target) else "NO"


@dataclass(frozen=True)
class HeavisideFigure:
    workload: Workload
    sample: Sample  # run_local wall times
    output: JSON  # what run_local returned (checked against the expected output)


def heaviside_side(settings: Settings) -> list[HeavisideFigure]:
    """heaviside's half of part 1: run_local on each comparison workload (interleaved samples).

    The definition is compiled once (``load_definition``), as a caller running a state machine
    many times does; compiling costs are measured on their own in part 2.
    """
    workloads = comparison_workloads(settings.size)
    progress(f"heaviside: {', '.join(w.title for w in workloads)}, x{settings.runs} each")
    operations = {w.key: heaviside_bench.run_local_compiled_op(w) for w in workloads}
    samples = measure_interleaved(operations, settings.runs)
    return [HeavisideFigure(w, samples[w.key], heaviside_bench.run_checked(w).output) for w in workloads]


def jsonata_heaviside_side(settings: Settings) -> tuple[list[jsonata_bench.Pair], dict[str, Sample]]:
    """heaviside on the JSONPath workloads and their JSONata twins, sampled interleaved."""
    compared = jsonata_bench.pairs(settings.size)
    progress(f"heaviside: JSONPath vs JSONata ({len(compared)} pairs), x{settings.runs} each")
    return compared, jsonata_bench.measure_heaviside(compared, settings.runs)


def jsonata_moto_side(settings: Settings) -> jsonata_bench.MotoJsonata | None:
    """moto on the JSONata loop (None when skipped or not installed); runs after every heaviside figure."""
    if not (settings.moto and moto_bench.available()):
        return None
    progress(f"moto: JSONata Choice loop (a {jsonata_bench.PROBE_SIZE}-iteration probe first)")
    return jsonata_bench.moto_jsonata(settings.size, settings.moto_runs, settings.moto_budget)


def moto_side(settings: Settings) -> list[moto_bench.MotoResult] | None:
    """moto's half of part 1 (None when skipped or not installed); imports moto, so it runs last."""
    if not (settings.moto and moto_bench.available()):
        return None
    results = []
    for workload, small in zip(comparison_workloads(settings.size), comparison_workloads(10), strict=True):
        progress(f"moto: {workload.title} (up to {settings.moto_runs} runs)")
        results.append(moto_bench.time_moto(workload, settings.moto_runs, settings.moto_budget, warmup=small))
    return results


def comparison(
    settings: Settings, figures: list[HeavisideFigure], motos: list[moto_bench.MotoResult] | None
) -> tuple[Table, bool]:
    """Part 1's table: heaviside vs moto on the same definitions, and whether all outputs agreed."""
    table = Table(
        f"heaviside run_local vs moto, same definitions (size {settings.size:,})",
        ["Workload", "Transitions", "heaviside median", "heaviside / transition",
         "moto median", "moto / transition", "moto / heaviside", "Same output"],
        right={1, 2, 3, 4, 5, 6},
    )
    all_ok = True
    for index, figure in enumerate(figures):
        workload, sample = figure.workload, figure.sample
        per = sample.per(workload.transitions)
        cells = [workload.title, f"{workload.transitions:,}", f"{format_seconds(sample.median)} (n={sample.runs})",
                 f"{format_seconds(per)} (best {format_seconds(sample.best / workload.transitions)})"]
        if motos is None:
            table.add(*cells, "-", "-", "-", "-")
            continue
        moto = motos[index]
        first = moto.first
        same = first.status == "SUCCEEDED" and first.output == figure.output == workload.expected_output
        all_ok = all_ok and same
        verdict = "yes" if same else f"NO (moto {first.status} {first.error or ''})".strip()
        if first.transitions is not None and first.transitions != workload.transitions:
            verdict += f"; moto entered {first.transitions:,} states"
        moto_per = moto.sample.per(workload.transitions)
        table.add(*cells, f"{format_seconds(moto.sample.median)} (n={moto.sample.runs})",
                  format_seconds(moto_per), _ratio(moto_per / per), verdict)
    table.notes.append("transitions = states executed (StateEntered events; the Map state and each iteration's "
                       "Pass count); both implementations checked to return the expected output")
    table.notes.append(f"target: moto / heaviside >= {RATIO_TARGET:,.0f}x per transition. heaviside: "
                       "run_local(compiled definition, input) incl. the scheduler and history recording; "
                       "the definition is compiled once beforehand (its cost is in part 2)")
    table.notes.append(f"moto: StartExecution until DescribeExecution leaves RUNNING (polled every "
                       f"{moto_bench.POLL_SECONDS * 1e3:.0f} ms), fresh mock_aws per run, warmed up on a "
                       "10-iteration version; repeated until n runs or the time budget is spent")
    table.notes.append("all heaviside figures are taken before moto is imported: moto/botocore's heap would "
                       "make heaviside's full garbage collections several times slower")
    table.notes.append("moto parses the definition (ANTLR) inside every execution, about half of its Pass-chain "
                       "time; heaviside's compiled definition is cached (its cold compile cost is in part 2)")
    if settings.moto and motos is None:
        table.notes.append("moto/boto3 not installed: comparison skipped")
    return table, all_ok


def in_process(settings: Settings) -> Table:
    """Part 2: heaviside alone."""
    runs = settings.runs
    table = Table(f"heaviside in-process (median of n={runs} after a warm-up)",
                  ["Measure", "Median total", "Per unit (median)", "Per unit (best run)", "Target", "Met"],
                  right={1, 2, 3})

    def row(label: str, sample: Sample, units: int, unit: str, target: float | None) -> None:
        per = sample.per(units)
        target_cell = "-" if target is None else f"<= {format_seconds(target)}"
        met = "-" if target is None else _met(per, target)
        table.add(label, format_seconds(sample.median), f"{format_seconds(per)} / {unit}",
                  f"{format_seconds(sample.best / units)} / {unit}", target_cell, met)

    plain, params, loop = pass_chain(1000, parameters=False), pass_chain(1000), choice_loop(1000)
    progress("heaviside: engine-only and run_local transitions")
    rows: list[tuple[str, Callable[[], object], Workload, float | None]] = [
        ("Pass transition, engine only (1,000 plain Pass)", heaviside_bench.engine_op(plain), plain,
         PASS_TARGET_SECONDS),
        ("Pass transition, engine only (1,000 Pass + Parameters)", heaviside_bench.engine_op(params), params,
         PASS_TARGET_SECONDS),
        ("Pass transition, run_local incl. history (plain)", heaviside_bench.run_local_op(plain), plain,
         PASS_TARGET_SECONDS),
        ("Pass transition, run_local incl. history (+ Parameters)", heaviside_bench.run_local_op(params), params,
         PASS_TARGET_SECONDS),
        ("  same, run_local given the compiled Definition", heaviside_bench.run_local_compiled_op(params), params,
         None),
        ("Choice-loop transition, engine only (to 1,000)", heaviside_bench.engine_op(loop), loop, None),
    ]
    samples = measure_interleaved({label: operation for label, operation, _, _ in rows}, runs)
    for label, _, workload, target in rows:
        row(label, samples[label], workload.transitions, "transition", target)

    progress("heaviside: definition loading (1,000-state Pass chain with Parameters)")
    costs = heaviside_bench.time_loading(params, runs)
    row("validate_definition (1,000 states)", costs.validate, costs.states, "state", None)
    row("compile_definition (1,000 states)", costs.compile, costs.states, "state", None)
    both = Sample(tuple(v + c for v, c in zip(costs.validate.times, costs.compile.times, strict=True)))
    row("validate + compile", both, costs.states, "state", LOAD_TARGET_SECONDS)
    row("load_definition, empty cache (hash + validate + compile)", costs.load_cold, costs.states, "state",
        LOAD_TARGET_SECONDS)
    row("load_definition, cached (canonical JSON + sha256)", costs.load_cached, costs.states, "state", None)

    big = inline_map(settings.map_items)
    progress(f"heaviside: {big.title} x{runs}")
    sample = measure(heaviside_bench.run_local_op(big), runs, warmup=False)
    table.add(f"{big.title}, run_local end to end", format_seconds(sample.median),
              f"{format_seconds(sample.per(settings.map_items))} / item",
              f"{format_seconds(sample.best / settings.map_items)} / item", f"< {format_seconds(MAP_TARGET_SECONDS)}",
              _met(sample.median, MAP_TARGET_SECONDS))
    table.notes.append("engine only: Engine.start(now) on a compiled definition, the whole chain inline in one "
                       "call (no scheduler, no history record)")
    table.notes.append("run_local: given the definition dict (its cache lookup hashes the canonical JSON) "
                       "unless stated; history is recorded as events, history() rendering not included")
    table.notes.append("validate + compile: the sum of both per run; validate + compile rows are per state of "
                       "the definition")
    return table


def machine_table() -> Table:
    table = Table("Machine", ["Item", "Value"])
    for label, value in machine_info():
        table.add(label, value)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    started, load_before, speed_before = time.perf_counter(), load_average(), calibration()
    figures = heaviside_side(settings)
    compared, jsonata_samples = jsonata_heaviside_side(settings)
    second = in_process(settings)
    first, outputs_agree = comparison(settings, figures, moto_side(settings))
    moto_jsonata = jsonata_moto_side(settings)
    jsonata = jsonata_bench.table(settings.size, compared, jsonata_samples, moto_jsonata,
                                  moto_wanted=settings.moto, moto_version=package_version("moto"))
    outputs_agree = outputs_agree and (moto_jsonata is None or moto_jsonata.output_ok)
    info = machine_table()
    info.add("settings", f"size {settings.size}, heaviside runs {settings.runs}, moto runs <= {settings.moto_runs} "
                         f"(budget {settings.moto_budget:.0f} s/workload){', quick' if settings.quick else ''}")
    info.add("load average 1/5/15 min", f"{load_before} before, {load_average()} after")
    info.add("calibration loop (200k iterations)",
             f"{format_seconds(speed_before)} before, {format_seconds(calibration())} after "
             "(compare between runs: this machine's speed at the time)")
    info.add("benchmark wall time", format_seconds(time.perf_counter() - started))
    sys.stdout.write(render([first, jsonata, second, info], markdown=settings.markdown))
    if not outputs_agree:
        print("error: an implementation returned a wrong output; the comparison is void", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
