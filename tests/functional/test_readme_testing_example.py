"""The README's "Testing your state machines" example runs as written (in an inner pytest session)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
README = Path(__file__).parents[2] / "README.md"


def test_the_readme_pytest_example_passes_with_full_coverage(pytester: pytest.Pytester) -> None:
    text = README.read_text()
    start = text.index("```python\n# test_orders.py") + len("```python\n")
    pytester.makepyfile(test_orders=text[start:text.index("```\n", start)])
    result = pytester.runpytest_inprocess("--heaviside-coverage", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["coverage: 7/7 items (100.0%) over 3 run(s)"])
