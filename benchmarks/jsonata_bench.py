"""JSONata vs JSONPath on heaviside, same shapes and sizes, and whether moto runs JSONata.

Each :class:`Pair` puts a JSONPath workload next to its JSONata twin (same states, same
output): the Pass chain (``Parameters`` vs ``Output``), the Choice loop (``States.MathAdd``
vs ``$states.input.n + 1``) and the same loop counting in a workflow variable (``Assign``).
All of them run with ``run_local`` on a compiled definition, sampled interleaved in one
measuring period (so a burst of load hits both sides of a ratio alike), each run checked once
beforehand for its status, output and number of states executed.

moto 5's interpreter is a port of LocalStack's; its JSONata evaluation relies on a JVM bridge
that the port may leave out. :func:`moto_jsonata` therefore first runs a 10-iteration JSONata
loop: only if that returns the expected output is the full-size loop timed; otherwise the
table says why there is no moto figure instead of failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from benchmarks import heaviside_bench, moto_bench
from benchmarks.report import Table
from benchmarks.timing import Sample, format_seconds, measure_interleaved
from benchmarks.workloads import (
    Workload,
    choice_loop,
    jsonata_choice_loop,
    jsonata_pass_chain,
    jsonata_variable_loop,
    pass_chain,
)

PROBE_SIZE = 10
# What moto 5.2's eval_jsonata_expression fails with: it calls its evaluator, left None by the port.
NO_EVALUATOR = "'NoneType' object is not callable"
MOTO_PARSER_LOGGER = "moto.stepfunctions.parser"


@dataclass(frozen=True)
class Pair:
    """A JSONPath workload and its JSONata twin."""

    title: str
    jsonpath: Workload
    jsonata: Workload


def pairs(size: int) -> list[Pair]:
    """The compared pairs, each of ``size`` iterations (both loops share one JSONPath workload)."""
    loop = choice_loop(size)
    return [
        Pair(f"Pass chain x{size:,} (Parameters vs Output)", pass_chain(size), jsonata_pass_chain(size)),
        Pair(f"Choice loop to {size:,} (MathAdd vs $states.input)", loop, jsonata_choice_loop(size)),
        Pair(f"Choice loop to {size:,} (MathAdd vs variable $n, Assign)", loop, jsonata_variable_loop(size)),
    ]


def measure_heaviside(compared: list[Pair], runs: int) -> dict[str, Sample]:
    """``run_local`` samples of every workload of ``compared`` (by key), after checking each once."""
    workloads = {w.key: w for pair in compared for w in (pair.jsonpath, pair.jsonata)}
    operations = {key: heaviside_bench.run_local_compiled_op(w) for key, w in workloads.items()}
    return measure_interleaved(operations, runs)


@dataclass(frozen=True)
class MotoJsonata:
    """moto on the JSONata loop: a timed result when it ran the probe correctly, else why not."""

    workload: Workload
    result: moto_bench.MotoResult | None
    problem: str | None  # why there is no figure (None when there is one)

    @property
    def output_ok(self) -> bool:
        """Whether the timed full-size run (if any) returned the expected output."""
        if self.result is None:
            return True
        first = self.result.first
        return first.status == "SUCCEEDED" and first.output == self.workload.expected_output


def moto_jsonata(size: int, max_runs: int, budget_seconds: float) -> MotoJsonata:
    """Probe moto with a small JSONata loop; time ``jsonata_choice_loop(size)`` only if the probe works."""
    workload, probe = jsonata_choice_loop(size), jsonata_choice_loop(PROBE_SIZE)
    parser_log = logging.getLogger(MOTO_PARSER_LOGGER)  # would print each failing expression to stderr
    level = parser_log.level
    parser_log.setLevel(logging.CRITICAL)
    try:
        run = moto_bench.run_once(probe, read_history=True)
    except Exception as exc:  # any failure means "unsupported": reported in the table, not raised
        return MotoJsonata(workload, None, f"the {PROBE_SIZE}-iteration JSONata loop raised "
                                           f"{type(exc).__name__}: {exc}")
    finally:
        parser_log.setLevel(level)
    if run.status != "SUCCEEDED" or run.output != probe.expected_output:
        detail = (f"{run.status}, error {run.error}, cause {run.cause}" if run.status != "SUCCEEDED"
                  else f"SUCCEEDED with output {run.output!r}, expected {probe.expected_output!r}")
        return MotoJsonata(workload, None, f"the {PROBE_SIZE}-iteration JSONata loop ended {detail} "
                                           f"after {run.transitions} state(s) entered")
    # The probe doubled as the warm-up: it loaded moto's JSONata code path.
    return MotoJsonata(workload, moto_bench.time_moto(workload, max_runs, budget_seconds), None)


def _ratio(value: float) -> str:
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2f}x"


def _moto_cell(moto: MotoJsonata | None, pair: Pair, samples: dict[str, Sample]) -> str:
    if moto is None or pair.jsonata.key != moto.workload.key:
        return "-"
    if moto.result is None:
        return "unsupported (see notes)"
    sample, first = moto.result.sample, moto.result.first
    if not moto.output_ok:
        return f"NO: {first.status} {first.error or ''}".strip()
    per = sample.per(moto.workload.transitions)
    heaviside_per = samples[pair.jsonata.key].per(pair.jsonata.transitions)
    cell = f"{format_seconds(per)} (n={sample.runs}; moto / heaviside {_ratio(per / heaviside_per)})"
    if first.transitions is not None and first.transitions != moto.workload.transitions:
        cell += f"; moto entered {first.transitions:,} states"
    return cell


def table(
    size: int,
    compared: list[Pair],
    samples: dict[str, Sample],
    moto: MotoJsonata | None,
    *,
    moto_wanted: bool,
    moto_version: str,
) -> Table:
    """The JSONata table: JSONPath and JSONata side by side, their ratio, and moto on the JSONata loop."""
    result = Table(
        f"heaviside JSONata vs JSONPath, run_local, same shapes (size {size:,})",
        ["Workload", "Transitions (JSONPath / JSONata)", "JSONPath median", "JSONPath / transition",
         "JSONata median", "JSONata / transition", "JSONata / JSONPath", "moto JSONata / transition"],
        right={1, 2, 3, 4, 5, 6},
    )
    for pair in compared:
        path, nata = samples[pair.jsonpath.key], samples[pair.jsonata.key]
        path_per, nata_per = path.per(pair.jsonpath.transitions), nata.per(pair.jsonata.transitions)
        result.add(
            pair.title,
            f"{pair.jsonpath.transitions:,} / {pair.jsonata.transitions:,}",
            f"{format_seconds(path.median)} (n={path.runs})",
            f"{format_seconds(path_per)} (best {format_seconds(path.best / pair.jsonpath.transitions)})",
            f"{format_seconds(nata.median)} (n={nata.runs})",
            f"{format_seconds(nata_per)} (best {format_seconds(nata.best / pair.jsonata.transitions)})",
            _ratio(nata_per / path_per),
            _moto_cell(moto, pair, samples),
        )
    result.notes.append("run_local(compiled definition, input) incl. the scheduler and history recording, as in "
                        "the first table; all workloads sampled interleaved in one period, each run checked once "
                        "beforehand (status SUCCEEDED, expected output, states executed)")
    result.notes.append("JSONata / JSONPath: ratio of the per-transition medians (the variable loop executes one "
                        "more state, Init, than its JSONPath counterpart; for the other rows it equals the "
                        "per-run ratio). Both loop rows share one JSONPath sample")
    result.notes.append("JSONata Pass chain: each Output is {\"i\": \"{% $states.input.i %}\", \"step\": k}; loops: "
                        "Output {\"n\": \"{% $states.input.n + 1 %}\"} and Condition "
                        "\"{% $states.input.n < N %}\", or Assign {\"n\": \"{% $n + 1 %}\"} and Condition "
                        "\"{% $n < N %}\" (Init assigns n from the input, Succeed outputs {\"n\": \"{% $n %}\"})")
    if not moto_wanted:
        result.notes.append("moto: skipped (--no-moto)")
    elif moto is None:
        result.notes.append("moto: not installed, JSONata not tried")
    elif moto.result is None:
        note = f"moto {moto_version} does not run JSONata, so no moto figure: {moto.problem}"
        if NO_EVALUATOR in (moto.problem or ""):
            note += (". Its parser accepts JSONata definitions, but its port of LocalStack's interpreter leaves "
                     "the JSONata evaluator (a JVM bridge in LocalStack) unset: moto/stepfunctions/parser/asl/"
                     "jsonata/jsonata.py, eval_jsonata_expression")
        result.notes.append(note)
    else:
        result.notes.append(f"moto {moto_version}: the JSONata loop timed as in the first table (StartExecution "
                            "until DescribeExecution leaves RUNNING, fresh mock_aws per run), after a "
                            f"{PROBE_SIZE}-iteration probe run that served as warm-up")
    return result
