"""Access rules live in ``<area>/access.py``: no ``can_*`` function is defined anywhere else."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def access_rules(source: str) -> set[str]:
    """Names of the ``can_*`` functions and methods defined in ``source``."""
    return {node.name for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("can_")}


def test_can_functions_are_defined_only_in_access_modules():
    misplaced = {}
    for path in sorted((ROOT / "linkage").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        if path.name == "access.py":
            continue
        rules = access_rules(path.read_text(encoding="utf-8"))
        if rules:
            misplaced[name] = sorted(rules)
    assert misplaced == {}


def test_the_guard_finds_functions_and_methods():
    source = "def can_go(u): ...\nclass A:\n    def can_stay(self): ...\ndef go(): ...\n"
    assert access_rules(source) == {"can_go", "can_stay"}
