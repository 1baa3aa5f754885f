"""The pure core stays pure: importing and running it loads no AWS SDK and never sleeps."""

from __future__ import annotations

import subprocess
import sys


def test_engine_and_local_runner_do_not_load_boto3() -> None:
    code = (
        "import sys\n"
        "import heaviside.engine.interpreter, heaviside.definition.loader\n"
        "from heaviside import run_local\n"
        "run_local({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'End': True}}}, {})\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_core_modules_never_import_time_or_boto3() -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "heaviside"
    offenders = []
    for package in ("definition", "engine"):
        for file in (root / package).rglob("*.py"):
            tree = ast.parse(file.read_text())
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    if name.split(".")[0] in ("boto3", "botocore", "time", "uuid", "threading"):
                        offenders.append(f"{file.relative_to(root)} imports {name}")
    assert offenders == []
