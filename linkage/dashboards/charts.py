"""Chart geometry for server-drawn SVG: bars (grouped or stacked), a line, and a map of communities.

The templates (``templates/dashboards/_charts.html``) draw these shapes; colours come from CSS classes in
``app.css``. Charting libraries such as pygal write a ``<style>`` element (and a script) into every SVG,
which the site's Content-Security-Policy (``style-src 'self'``, no inline script) blocks, so the shapes
are computed here and drawn with classes only. The SVG has a ``viewBox`` and scales with the page.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import Optional

WIDTH = 640
LABEL_WIDTH = 170
PLOT_WIDTH = WIDTH - LABEL_WIDTH - 70
ROW = 28
BAR = 18
TOP = 8


# Text is 12 px: a Chinese character is about 12 px wide, a Latin letter or digit about 7.
WIDE, NARROW = 12.0, 7.0


def text_width(text: str) -> float:
    """The width ``text`` takes in a chart, in SVG units (wide East Asian characters twice a narrow one)."""
    return sum(WIDE if unicodedata.east_asian_width(c) in "WF" else NARROW for c in text)


def fit(text: str, room: float) -> str:
    """``text`` cut to fit ``room`` units, ending in "…" when cut."""
    if text_width(text) <= room:
        return text
    kept, used = [], text_width("…")
    for character in text:
        used += text_width(character)
        if used > room:
            break
        kept.append(character)
    return "".join(kept) + "…"


def _scale(largest: float, plot_width: float = PLOT_WIDTH) -> float:
    return plot_width / largest if largest > 0 else 0.0


def bars(labels: Sequence[str], series: Sequence[str], values: Sequence[Sequence[float]],
         texts: Sequence[str], *, stacked: bool = False) -> dict:
    """Horizontal bars, one row per label: ``values[row][series]``; ``texts[row]`` is written after the bar.
    Stacked: the series' segments end to end; else one thinner bar per series."""
    largest = max((sum(row) if stacked else max(row, default=0)) for row in values) if values else 0
    # The longest value written after its bar still fits inside the chart.
    room = max((text_width(text) for text in texts), default=0) + 8
    scale = _scale(float(largest), WIDTH - LABEL_WIDTH - max(70.0, room))
    rows = []
    for index, (label, row, text) in enumerate(zip(labels, values, texts)):
        top = TOP + index * ROW
        segments, x = [], LABEL_WIDTH
        thin = BAR / max(1, len(series))
        for number, value in enumerate(row):
            width = max(0.0, float(value) * scale)
            if stacked:
                segments.append({"x": x, "y": top, "width": width, "height": BAR, "css": f"series-{number}"})
                x += width
            else:
                segments.append({"x": LABEL_WIDTH, "y": top + number * thin, "width": width, "height": thin,
                                 "css": f"series-{number}"})
                x = max(x, LABEL_WIDTH + width)
        rows.append({"label": fit(label, LABEL_WIDTH - 10), "full_label": label, "label_y": top + BAR * 0.7, "segments": segments, "text": text,
                     "text_x": x + 4})
    return {"kind": "bars", "width": WIDTH, "height": TOP * 2 + ROW * len(rows), "rows": rows,
            "legend": [(name, f"series-{number}") for number, name in enumerate(series)] if len(series) > 1 else []}


def line(labels: Sequence[str], values: Sequence[float], texts: Sequence[str]) -> dict:
    """A line over evenly spaced labels (weeks), the largest value at the top; about six labels shown."""
    height, left, bottom, top = 240, 40, 36, 12
    plot_width, plot_height = WIDTH - left - 16, height - top - bottom
    largest = max(values, default=0) or 1
    step = plot_width / max(1, len(values) - 1)
    points = [{"x": left + index * step, "y": top + plot_height * (1 - float(value) / largest), "text": text,
               "label": label} for index, (label, value, text) in enumerate(zip(labels, values, texts))]
    every = max(1, math.ceil(len(points) / 6))
    ticks = [{"x": p["x"], "label": p["label"]} for index, p in enumerate(points) if index % every == 0]
    return {"kind": "line", "width": WIDTH, "height": height, "points": points,
            "polyline": " ".join(f"{p['x']:.1f},{p['y']:.1f}" for p in points), "ticks": ticks,
            "axis_y": top + plot_height, "left": left, "right": left + plot_width, "top": top}


def share_class(share: Optional[float]) -> str:
    """The colour class of a share 0..1 (None: not reported)."""
    if share is None:
        return "share-none"
    return f"share-{min(3, int(share * 4))}"


def community_map(points: Sequence[dict]) -> Optional[dict]:
    """Communities placed by their coordinates: each point has label, latitude, longitude, size (a count), css
    and text; the circle's area grows with the size. None when no community has coordinates."""
    placed = [p for p in points if p.get("latitude") is not None and p.get("longitude") is not None]
    if not placed:
        return None
    height, pad = 400, 40
    lats = [p["latitude"] for p in placed]
    lons = [p["longitude"] for p in placed]
    # Longitude degrees shrink with latitude: keep the map's proportions.
    stretch = math.cos(math.radians(sum(lats) / len(lats)))
    span = max((max(lons) - min(lons)) * stretch, max(lats) - min(lats)) or 1.0
    unit = min(WIDTH - 2 * pad, height - 2 * pad) / span
    largest = max((p["size"] for p in placed), default=0) or 1
    circles = []
    for p in placed:
        x = WIDTH / 2 + ((p["longitude"] - (max(lons) + min(lons)) / 2) * stretch) * unit
        y = height / 2 - (p["latitude"] - (max(lats) + min(lats)) / 2) * unit
        circles.append({"x": x, "y": y, "r": 5 + 22 * math.sqrt(p["size"] / largest), "css": p["css"],
                        "label": p["label"], "text": p["text"]})
    return {"kind": "map", "width": WIDTH, "height": height, "circles": circles}
