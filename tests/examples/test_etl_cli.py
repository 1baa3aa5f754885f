"""The ETL example through the real command line: ``heaviside run`` and ``heaviside start --emulate --wait``.

Kept apart from ``test_examples.py``: ``start --emulate`` runs its own in-process deployment, and
``@task``-decorated handlers follow the process's default runtime, which only one deployment at a
time can own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heaviside.cli import main

ETL = Path(__file__).resolve().parents[2] / "examples" / "etl"
OUTPUT = {"exportId": "orders-2024", "destination": "s3://example-warehouse/orders-2024/", "records": 7500,
          "batches": 6, "retries": 1, "amount": "3752582.37", "checksum": "crc32:d646fbe4", "elapsedSeconds": 9030,
          "elapsed": "2h 30m 30s"}


def test_etl_with_heaviside_run(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(ETL / "etl.asl.json"), "--handlers", str(ETL / "handlers.py"),
                 "--input-file", str(ETL / "input.json"), "--skip-waits"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == OUTPUT


def test_etl_with_heaviside_start_emulate_wait(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["start", str(ETL / "etl.asl.json"), "--input-file", str(ETL / "input.json"), "--wait",
                 "--emulate", "--handlers", str(ETL / "handlers.py"), "--skip-waits"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == OUTPUT


def test_etl_failure_exits_1_with_error_and_cause(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(ETL / "etl.asl.json"), "--handlers", str(ETL / "handlers.py"),
                 "--input-file", str(ETL / "input-corrupt.json"), "--skip-waits"])
    assert code == 1
    assert json.loads(capsys.readouterr().out) == {
        "Error": "CorruptRecord",
        "Cause": "export refunds-2024 stopped at record 2000 of 4000 after 2 batches; resume with startAt 2000"}
