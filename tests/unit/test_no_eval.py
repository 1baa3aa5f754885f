"""No module of heaviside evaluates text as code: no eval/exec/compile builtins, no pickle or marshal.

JSONPath, intrinsic functions and JSONata are parsed and interpreted, never handed to Python. The
one exception is pinned call by call: :mod:`heaviside.engine.specialize` compiles straight-line
bodies it generates itself for hot Pass/Choice shapes. Its generated source is checked here too:
whatever a definition holds (keys, paths, literals) reaches that source only as string literals
and constants, never as code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from random import Random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from heaviside import run_local
from heaviside.definition.loader import load_definition
from heaviside.engine.effects import Execution
from heaviside.engine.interpreter import Engine

PACKAGE = Path(__file__).resolve().parents[2] / "heaviside"
FORBIDDEN_CALLS = frozenset({"eval", "exec", "compile", "__import__"})
FORBIDDEN_MODULES = frozenset({"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"})
#: (module, enclosing function, builtin called): the only code-generating calls, each justified.
ALLOWED: frozenset[tuple[str, str, str]] = frozenset({
    # Straight-line bodies for hot JSONPath Pass/Choice shapes, from source the generator writes;
    # test_specialized_source_holds_definition_text_only_as_literals checks what reaches it.
    ("engine/specialize.py", "_compile", "compile"),
    ("engine/specialize.py", "build", "exec"),
})


def _modules() -> list[Path]:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50 and PACKAGE / "engine" / "interpreter.py" in modules
    return modules


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every node with the name of the innermost function (or ``<module>``) around it."""
    def walk(node: ast.AST, owner: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            yield owner, child
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else owner
            yield from walk(child, inner)

    yield from walk(tree, "<module>")


def _called_builtin(call: ast.Call) -> str | None:
    """``eval(...)``, ``builtins.exec(...)``, ``getattr(builtins, "compile")(...)``: the builtin's name."""
    function = call.func
    if isinstance(function, ast.Name) and function.id in FORBIDDEN_CALLS:
        return function.id
    if (isinstance(function, ast.Attribute) and function.attr in FORBIDDEN_CALLS
            and isinstance(function.value, ast.Name) and function.value.id in ("builtins", "__builtins__")):
        return function.attr
    if (isinstance(function, ast.Call) and isinstance(function.func, ast.Name) and function.func.id == "getattr"
            and len(function.args) >= 2 and isinstance(function.args[1], ast.Constant)
            and function.args[1].value in FORBIDDEN_CALLS):
        return str(function.args[1].value)
    return None


def _offences(path: Path, root: Path = PACKAGE) -> list[tuple[str, str, str]]:
    relative = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(), str(path))
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = []
    for owner, node in _functions(tree):
        if isinstance(node, ast.Call) and (name := _called_builtin(node)) is not None:
            found.append((relative, owner, name))
        elif (isinstance(node, ast.Name) and node.id in ("eval", "exec") and isinstance(node.ctx, ast.Load)
              and id(node) not in callees):
            found.append((relative, owner, f"reference to {node.id}"))  # aliased, then called
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append((relative, owner, f"import {name}"))
    return found


def test_no_module_evaluates_text_or_unpickles() -> None:
    offences = [offence for path in _modules() for offence in _offences(path)]
    unexpected = [offence for offence in offences if offence not in ALLOWED]
    assert unexpected == [], unexpected
    assert sorted(set(offences)) == sorted(ALLOWED), "an allowed call is gone: drop it from ALLOWED"


def test_the_scanner_catches_each_form(tmp_path: Path) -> None:
    code = ("import pickle\nfrom marshal import loads\nimport builtins\n"
            "def f(t):\n    eval(t)\n    builtins.exec(t)\n    getattr(builtins, 'compile')(t, 'x', 'eval')\n"
            "    run = exec\n    __import__('os')\n    re.compile(t)\n")
    module = tmp_path / "sample.py"
    module.write_text(code)
    found = {what for _, _, what in _offences(module, tmp_path)}
    assert found == {"import pickle", "import marshal", "eval", "exec", "compile", "reference to exec", "__import__"}


# --------------------------------------------------------------------------- the generated source

#: Names a generated body may use: its parameters, the generator's own temporaries and globals.
_SAFE_NAMES = frozenset({
    "body", "engine", "state", "data", "variables", "now", "events", "_generic", "_irregular", "_Irregular",
    "_render", "_NON_NUMBERS", "_NON_STRINGS", "isinstance", "type", "int", "float", "str", "bool",
    "KeyError", "TypeError",
})
_CALLABLE = frozenset({"_generic", "_irregular", "_render", "isinstance", "type"})
_TEMPORARY = re.compile(r"_k\d+|[vt]\d+")  # constants and walrus temporaries the generator numbers
_HOSTILE_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["'", '"', "\\", "\n", "')\nimport os\n('", "__import__('os').system('x')", "{}", "a.$", "}",
                     "\"\"\"", "'''", "\x00", "é✓", "\\'", "$", "#", "data", "_generic", "lambda: 0"]),
)
_KEY = _HOSTILE_TEXT.filter(lambda key: not key.endswith(".$"))


def _generated_sources(definition: dict[str, Any]) -> list[str]:
    compiled = load_definition(definition)
    engine = Engine(compiled, Execution("arn:e", "e", "2026-01-01T00:00:00Z", {}, "arn:sm", "sm"), Random(1))
    return [body.__doc__ or "" for _, body in engine._bodies.values() if body.__name__.startswith("specialized")]


def _check_source(source: str) -> None:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Attribute | ast.Import | ast.ImportFrom | ast.Lambda | ast.Starred), source
        if isinstance(node, ast.Name):
            assert node.id in _SAFE_NAMES or _TEMPORARY.fullmatch(node.id), (node.id, source)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in _CALLABLE, source


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(key=_KEY, field=_KEY, literal=_HOSTILE_TEXT, template=_HOSTILE_TEXT)
def test_specialized_source_holds_definition_text_only_as_literals(key: str, field: str, literal: str,
                                                                   template: str) -> None:
    escaped = template.replace("\\", "\\\\").replace("'", "\\'").replace("{", "\\{").replace("}", "\\}")
    path = f"$['{field.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}']"
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "C", "Parameters": {
            key: literal, f"{key}x.$": path, "f.$": f"States.Format('{escaped}{{}}', {path})",
            "m.$": f"States.MathAdd({path}, 1)", "nested": [{f"{key}.$": "$"}]}},
        "C": {"Type": "Choice", "Default": "S", "Choices": [
            {"Variable": path, "StringEquals": literal, "Next": "S"},
            {"Not": {"Variable": path, "NumericLessThan": 5}, "Next": "S"}]},
        "S": {"Type": "Succeed"}}}
    try:
        sources = _generated_sources(definition)
    except Exception as error:  # a definition the hostile text made invalid is fine; a crash is not
        assert type(error).__name__ == "DefinitionError", error
        return
    assert sources, "the Pass and Choice shapes above are specialised"
    for source in sources:
        _check_source(source)
    record = run_local(definition, {field: literal}, skip_waits=True)
    assert record.status in ("SUCCEEDED", "FAILED")


def test_jsonata_eval_is_not_available() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "A",
                  "States": {"A": {"Type": "Pass", "Output": "{% $eval('1 + 1') %}", "End": True}}}
    record = run_local(definition, {}, skip_waits=True)
    assert record.status == "FAILED" and record.error == "States.QueryEvaluationError"
    assert "T1006" in (record.cause or "")


def test_the_generated_source_is_checked_on_a_known_shape() -> None:
    sources = _generated_sources({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "End": True}}})
    assert len(sources) == 1 and "data['a']" in sources[0]
    _check_source(sources[0])
