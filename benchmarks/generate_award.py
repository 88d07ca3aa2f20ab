"""Generate a realistic project award problem (contract JSON, docs/contract.md §2).

A district buys community service projects from social organizations. Projects belong to a street
(about 40 projects a street); most organizations work in their home street and bid there, a few
district-wide ones bid anywhere. Budgets are long-tailed (mostly 50,000–400,000 yuan, rounded to
thousands); bids come in at 80–100 % of the budget (a few over it), rounded to hundreds. Grades
follow the usual spread (most organizations 3A or 4A), some projects ask for 3A or 4A, a few
organizations are blacklisted. Workload is the project's size in staff units (1–4); an organization
can carry 3–14 units, so strong organizations run out of capacity. The funding pool covers about
80 % of the budgets, so it binds too.

    python benchmarks/generate_award.py --size district --seed 1 [--out FILE]
    python benchmarks/generate_award.py --projects 400 --organizations 120 --bids 1400 --seed 1

Sizes: ``street`` 40 projects / 12 organizations / 140 bids; ``district`` 400 / 120 / about 1,400;
``city`` 2,000 / 600 / 7,000.
"""

from __future__ import annotations

import argparse
import json
import random
import sys

SIZES = {
    "street": (40, 12, 140),
    "district": (400, 120, 1400),
    "city": (2000, 600, 7000),
}
PROJECTS_PER_STREET = 40
GRADES = ([1, 2, 3, 4, 5], [0.05, 0.15, 0.40, 0.30, 0.10])
MIN_GRADES = ([None, 3, 4], [0.45, 0.40, 0.15])
PRICE_WEIGHTS = ([0.2, 0.3, 0.4], [0.2, 0.6, 0.2])


def generate_award(
    projects: int, organizations: int, bids: int, seed: int = 0, pool_share: float | None = 0.8
) -> dict:
    """A problem in the contract's JSON form; the same arguments give the same problem.

    ``pool_share``: the funding pool as a share of the budgets' sum (None: no pool)."""
    rng = random.Random(seed)
    streets = max(1, round(projects / PROJECTS_PER_STREET))
    project_list, org_list, bid_list = [], [], []
    street_of_project = []
    for k in range(projects):
        budget = min(900_000, max(30_000, round(rng.lognormvariate(11.9, 0.55), -3)))
        size = 1 if budget < 100_000 else 2 if budget < 220_000 else 3 if budget < 400_000 else 4
        project = {
            "id": f"p{k}",
            "budget": budget,
            "price_weight": rng.choices(*PRICE_WEIGHTS)[0],
            "min_grade": rng.choices(*MIN_GRADES)[0],
        }
        project_list.append((project, size))
        street_of_project.append(rng.randrange(streets))
    home, quality = [], []
    for k in range(organizations):
        grade = rng.choices(*GRADES)[0]
        capacity = max(2, min(14, round(rng.gauss(3 + 1.6 * grade, 2))))
        org_list.append(
            {"id": f"o{k}", "grade": grade, "capacity": capacity, "blacklisted": rng.random() < 0.02}
        )
        home.append(None if rng.random() < 0.15 else rng.randrange(streets))  # None: district-wide
        quality.append(rng.gauss(60 + 5 * grade, 6))
    by_street = {}
    for k, street in enumerate(street_of_project):
        by_street.setdefault(street, []).append(k)
    seen = set()
    attempts = 0
    while len(bid_list) < bids and attempts < 20 * bids:
        attempts += 1
        o = rng.randrange(organizations)
        if home[o] is None or rng.random() < 0.1:
            p = rng.randrange(projects)
        else:
            p = rng.choice(by_street.get(home[o]) or range(projects))
        if (p, o) in seen:
            continue
        seen.add((p, o))
        project, size = project_list[p]
        share = rng.uniform(0.80, 1.0) if rng.random() > 0.03 else rng.uniform(1.0, 1.08)
        technical = min(100.0, max(0.0, rng.gauss(quality[o], 5)))
        bid_list.append(
            {
                "id": f"b{len(bid_list)}",
                "project": project["id"],
                "organization": org_list[o]["id"],
                "price": round(project["budget"] * share, -2),
                "technical_score": round(technical, 1),
                "workload": size,
            }
        )
    data = {"projects": [p for p, _ in project_list], "organizations": org_list, "bids": bid_list}
    if pool_share is not None:
        data["funding_pool"] = round(pool_share * sum(p["budget"] for p, _ in project_list), -4)
    return data


def generate_size(size: str, seed: int = 0, pool_share: float | None = 0.8) -> dict:
    return generate_award(*SIZES[size], seed=seed, pool_share=pool_share)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES))
    parser.add_argument("--projects", type=int)
    parser.add_argument("--organizations", type=int)
    parser.add_argument("--bids", type=int)
    parser.add_argument("--pool-share", type=float, default=0.8, help="funding pool / Σ budgets; 0: no pool")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    counts = list(SIZES[args.size or "district"])
    for k, given in enumerate((args.projects, args.organizations, args.bids)):
        if given is not None:
            counts[k] = given
    data = generate_award(*counts, seed=args.seed, pool_share=args.pool_share or None)
    text = json.dumps(data, ensure_ascii=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
