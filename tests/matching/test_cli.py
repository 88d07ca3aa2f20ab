"""``python -m matching``: JSON on stdout, exit 0/2, one stderr line naming the field on bad input."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching.cli import main
from matching.gap import read_orlib
from tests.matching.checker_award import check_award, check_gap
from tests.matching.contract import award_example, shift_example

ROOT = Path(__file__).resolve().parents[2]

AWARD = award_example()
AWARD["projects"].append({"id": "p2", "budget": 1000})

SHIFTS = shift_example()  # with room for one volunteer to staff it, and no pins
SHIFTS["shifts"][0]["min_volunteers"] = 1
del SHIFTS["pins"], SHIFTS["forbids"]

GAP_TEXT = "2\n2 2\n1 9\n9 1\n1 1\n1 1\n1 1\n2 3\n5 5 5\n1 1 1\n2 2 2\n2 2 2\n4 2\n"

needs_shifts = pytest.mark.skipif(
    importlib.util.find_spec("matching.shifts") is None, reason="matching.shifts not written yet"
)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "matching", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def write(tmp_path, data, name="problem.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def one_error_line(proc: subprocess.CompletedProcess, field: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert field in lines[0], lines[0]
    return lines[0]


def test_award_success(tmp_path):
    proc = run("award", write(tmp_path, AWARD), "--time-limit", "5", "--workers", "1", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert set(result) >= {"status", "objective", "bound", "seconds", "awards", "unawarded", "stats"}
    assert result["status"] == "OPTIMAL" and result["objective"] == 9250
    assert set(result["awards"][0]) >= {
        "project",
        "bid",
        "organization",
        "price",
        "score",
        "reasons",
        "reason_codes",
    }
    assert set(result["unawarded"][0]) == {"project", "reasons", "reason_codes"}
    check_award(AWARD, result)


def test_award_infeasible_pins_exit_zero(tmp_path):
    data = dict(AWARD, pins=["b1"], forbids=["b1"])
    proc = run("award", write(tmp_path, data))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "INFEASIBLE" and result["conflicts"][0]["pins"] == ["b1"]


def test_gap_success_one_line_per_instance(tmp_path):
    path = write(tmp_path, GAP_TEXT, "two.txt")
    instances = read_orlib(path)
    for flag, expected in (([], [2, 11]), (["--maximize"], [18, 11])):
        proc = run("gap", path, *flag)
        assert proc.returncode == 0, proc.stderr
        results = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [r["instance"] for r in results] == ["two.txt#1", "two.txt#2"]
        assert [r["objective"] for r in results] == expected
        for instance, result in zip(instances, results):
            assert set(result) >= {"status", "objective", "bound", "seconds", "assignment", "agents", "jobs"}
            check_gap(instance, result, maximize=bool(flag))


@needs_shifts
def test_shifts_success(tmp_path):
    proc = run("shifts", write(tmp_path, SHIFTS), "--time-limit", "5")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result) >= {"status", "objective", "bound", "seconds", "assignments", "unfilled", "unstaffed"}
    assert result["status"] == "OPTIMAL"
    assert [(a["volunteer"], a["shift"]) for a in result["assignments"]] == [("v1", "s1")]


@needs_shifts
def test_shifts_bad_input(tmp_path):
    data = json.loads(json.dumps(SHIFTS))
    del data["volunteers"][0]["id"]
    one_error_line(run("shifts", write(tmp_path, data)), "volunteers[0]")


def _award_with(change):
    data = json.loads(json.dumps(AWARD))
    change(data)
    return data


@pytest.mark.parametrize(
    "content, field",
    [
        (_award_with(lambda d: d["projects"][0].pop("id")), "projects[0].id"),
        (_award_with(lambda d: d["projects"].append(dict(d["projects"][0]))), "projects[2].id"),
        (json.dumps(AWARD).replace("280000", "NaN"), "bids[0].price"),
        (_award_with(lambda d: d["bids"][0].update(project="p9")), "bids[0].project"),
        ('{"projects": [', "file"),
    ],
    ids=["missing-id", "duplicate-id", "nan", "unknown-project", "invalid-json"],
)
def test_award_bad_input(tmp_path, content, field):
    one_error_line(run("award", write(tmp_path, content)), field)


def test_unreadable_and_bad_gap_files(tmp_path):
    one_error_line(run("award", str(tmp_path / "missing.json")), "file")
    one_error_line(run("gap", write(tmp_path, "1 2\n5 x\n3 4\n10\n", "bad.txt")), "bad.txt:token[3]")


@pytest.mark.parametrize(
    "argv, field",
    [
        (["award", "x.json", "--workers", "0"], "--workers"),
        (["award", "x.json", "--time-limit", "-1"], "--time-limit"),
        (["gap", "x.txt", "--time-limit", "soon"], "arguments"),
        (["award", "x.json", "--maximize"], "arguments"),
        (["route", "x.json"], "arguments"),
        ([], "arguments"),
    ],
)
def test_bad_arguments_in_process(capsys, argv, field):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: "), captured.err


def test_bad_arguments_subprocess():
    one_error_line(run("award", "x.json", "--workers", "zero"), "arguments")


def test_gap_on_a_large_instance_prints_only_json(tmp_path):
    """A large instance goes through the LP rounding start (HiGHS, which prints to standard output)."""
    from benchmarks.gap_instances import generate, to_text

    path = write(tmp_path, to_text(generate("c", 20, 400, 7)), "c20400.txt")
    proc = run("gap", path, "--time-limit", "4")
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    result = json.loads(line)
    check_gap(read_orlib(path)[0], result)
    assert result["stats"]["variables"] == 8000
