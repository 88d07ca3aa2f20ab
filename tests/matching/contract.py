"""The worked examples of docs/contract.md, as fresh dicts that tests adapt to their case."""
from __future__ import annotations


def shift_example() -> dict:
    """§1: one volunteer, one urgent shift with an elder-care place and two open places, v1 pinned."""
    return {
        "settings": {"max_travel_km": 5.0, "rest_minutes": 30, "timezone": "Asia/Shanghai"},
        "volunteers": [{
            "id": "v1", "skills": ["elder_care", "first_aid"], "location": [31.2304, 121.4737],
            "max_travel_km": 3.0, "max_minutes": 480,
            "availability": [["2026-12-07T09:00:00+08:00", "2026-12-07T17:00:00+08:00"]],
            "preferences": ["s1"], "history": ["r17"],
        }],
        "shifts": [{
            "id": "s1", "start": "2026-12-07T09:00:00+08:00", "end": "2026-12-07T11:00:00+08:00",
            "location": [31.2310, 121.4700], "urgency": 4, "min_volunteers": 2,
            "slots": [{"skill": "elder_care", "count": 1}, {"skill": None, "count": 2}],
            "residents": ["r17"],
        }],
        "pins": [["v1", "s1"]],
        "forbids": [],
    }


def award_example() -> dict:
    """§2: one project, one organization, one bid."""
    return {
        "funding_pool": 5000000,
        "projects": [{"id": "p1", "budget": 300000, "price_weight": 0.3, "min_grade": 3}],
        "organizations": [{"id": "o1", "grade": 4, "capacity": 6, "blacklisted": False}],
        "bids": [{"id": "b1", "project": "p1", "organization": "o1", "price": 280000,
                  "technical_score": 62.5, "workload": 2}],
    }
