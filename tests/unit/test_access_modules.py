"""Access rules live in ``<area>/access.py``: no ``can_*`` function is defined anywhere else."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Rules not moved yet, by module: the match runs (converted separately) and the user model's alias
# that they still call (the rule itself is linkage.auth.access.can_see_region).
ACCESS_RULES_NOT_YET_MOVED = {
    "linkage/matching/services.py": {"can_run", "can_view"},
    "linkage/models/people.py": {"can_see_region"},
}


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
        rules = access_rules(path.read_text(encoding="utf-8")) - ACCESS_RULES_NOT_YET_MOVED.get(name, set())
        if rules:
            misplaced[name] = sorted(rules)
    assert misplaced == {}


def test_the_exceptions_still_exist():
    """An exception that no longer applies is removed from the list, so it cannot hide a new rule."""
    for name, rules in ACCESS_RULES_NOT_YET_MOVED.items():
        assert rules <= access_rules((ROOT / name).read_text(encoding="utf-8")), name


def test_the_guard_finds_functions_and_methods():
    source = "def can_go(u): ...\nclass A:\n    def can_stay(self): ...\ndef go(): ...\n"
    assert access_rules(source) == {"can_go", "can_stay"}
