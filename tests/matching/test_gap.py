"""GAP: reading OR-Library files and reaching the published optima of gap1–gap12 (both senses)."""

from __future__ import annotations

import csv
import functools
import os
from dataclasses import replace
from pathlib import Path

import pytest

from matching.errors import BadInput
from matching.gap import GapInstance, read_orlib, solve_gap
from tests.matching.checker_award import check_gap

DATA = Path(os.environ.get("LINKAGE_GAP_DATA", Path(__file__).resolve().parents[3] / "shared/benchmarks/gap"))

if not (DATA / "known_values.csv").exists():  # pragma: no cover - depends on the checkout
    pytest.skip(f"GAP benchmark data not found at {DATA} (set LINKAGE_GAP_DATA)", allow_module_level=True)


def _known():
    with open(DATA / "known_values.csv", newline="") as handle:
        return list(csv.DictReader(handle))


KNOWN = _known()
ORLIB = [row for row in KNOWN if row["file"].startswith("gap")]


@functools.lru_cache(maxsize=None)
def _instances(file: str) -> tuple[GapInstance, ...]:
    return tuple(read_orlib(DATA / file))


@pytest.mark.parametrize("sense", ["min", "max"])
@pytest.mark.parametrize("row", ORLIB, ids=[f"{r['file'][:-4]}-{r['index_in_file']}" for r in ORLIB])
def test_orlib_optimum(row, sense):
    instance = _instances(row["file"])[int(row["index_in_file"]) - 1]
    assert (instance.agents, instance.jobs) == (int(row["agents"]), int(row["jobs"]))
    result = solve_gap(instance, maximize=sense == "max", time_limit=30, workers=2)
    assert result.status == "OPTIMAL"
    assert check_gap(instance, result.to_dict()) == int(row[f"{sense}_optimum"])


def test_all_sixty_orlib_instances_listed():
    assert len(ORLIB) == 60
    assert sum(len(_instances(f"gap{k}.txt")) for k in range(1, 13)) == 60


def test_chu_beasley_single_instance_without_count():
    (instance,) = read_orlib(DATA / "chu1997" / "a05100")
    assert (instance.name, instance.agents, instance.jobs) == ("a05100", 5, 100)
    result = solve_gap(instance, time_limit=30)
    assert result.status == "OPTIMAL"
    assert check_gap(instance, result) == 1698


def _text(instance: GapInstance) -> str:
    rows = [f"{instance.agents} {instance.jobs}"]
    rows += [" ".join(map(str, r)) for r in instance.cost + instance.resource]
    rows.append(" ".join(map(str, instance.capacity)))
    return "\n".join(rows) + "\n"


def test_both_layouts_from_text():
    first, second = _instances("gap1.txt")[:2]
    with_count = f"2\n{_text(first)}{_text(second)}"
    assert read_orlib(with_count) == [replace(first, name="text#1"), replace(second, name="text#2")]
    (single,) = read_orlib(_text(first))
    assert single.name == "text" and single.cost == first.cost and single.capacity == first.capacity


def test_single_instance_whose_first_numbers_look_like_a_count():
    # m=1, n=2: read with a count, "1" would be one instance of 2 agents × cost-many jobs — sizes don't fit.
    (instance,) = read_orlib("1 2\n5 7\n3 4\n10\n")
    assert (instance.agents, instance.jobs, instance.cost, instance.capacity) == (1, 2, ((5, 7),), (10,))
    assert solve_gap(instance).objective == 12


def test_path_objects_and_file_names(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("1\n2 2\n1 9\n9 1\n1 1\n1 1\n1 1\n")
    (instance,) = read_orlib(path)
    assert instance.name == "tiny.txt#1"
    assert read_orlib(str(path))[0] == instance
    result = solve_gap(instance)
    assert (result.status, result.objective, result.assignment) == ("OPTIMAL", 2, [0, 1])
    assert solve_gap(instance, maximize=True).objective == 18


@pytest.mark.parametrize(
    "text, field",
    [
        ("1 2\n5 x\n3 4\n10\n", "text:token[3]"),
        ("1 2\n5 7\n3 4\n", "file"),
        ("", "file"),
        ("1\n1 2\n5 7\n3 -4\n10\n", "text#1.resource[0][1]"),
    ],
)
def test_bad_files_name_the_field(text, field):
    with pytest.raises(BadInput) as info:
        read_orlib(text if text else "\n")
    assert info.value.field == field


def test_missing_file():
    with pytest.raises(BadInput) as info:
        read_orlib("/nonexistent/gap.txt")
    assert info.value.field == "file"


def test_infeasible_instance():
    (instance,) = read_orlib("1 2\n1 1\n3 3\n5\n")
    result = solve_gap(instance)
    assert result.status == "INFEASIBLE" and result.assignment is None
    check_gap(instance, result)
    # A job that fits no agent at all is caught before the solver.
    (instance,) = read_orlib("2 1\n1\n1\n9\n9\n5 5\n")
    assert solve_gap(instance).status == "INFEASIBLE"


def test_progress_and_dict_shape():
    instance = _instances("gap12.txt")[0]
    seen = []
    result = solve_gap(instance, progress=lambda o, b, s: seen.append((o, b, s)), seed=3)
    data = result.to_dict()
    assert set(data) >= {
        "instance",
        "agents",
        "jobs",
        "sense",
        "status",
        "objective",
        "bound",
        "seconds",
        "assignment",
    }
    assert data["instance"] == "gap12.txt#1" and data["sense"] == "min"
    assert seen and seen[-1][0] == data["objective"]
    assert all(b <= o for o, b, _ in seen)
