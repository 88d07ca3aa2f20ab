"""Availability windows (rule 1): merging a volunteer's windows and testing whole intervals.

Times are integer microseconds since the Unix epoch. ``available_mask`` reads the compiled
problem's window matrices ``WS``/``WE`` (one row per volunteer, merged windows, padded).
"""

from __future__ import annotations

import numpy as np


def merge_windows(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge windows that overlap or touch (rule 1); drop empty ones."""
    out: list[list[int]] = []
    for a, b in sorted(w for w in windows if w[1] > w[0]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1][1] = b
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def available_mask(cp, rows: np.ndarray, a: int, b: int, WSt=None, WEt=None) -> np.ndarray:
    """Which of these volunteers have one merged window containing [a, b)."""
    WSt = np.ascontiguousarray(cp.WS[rows].T) if WSt is None else WSt
    WEt = np.ascontiguousarray(cp.WE[rows].T) if WEt is None else WEt
    out = np.zeros(WSt.shape[1], dtype=bool)
    for k in range(WSt.shape[0]):
        out |= (WSt[k] <= a) & (WEt[k] >= b)
    return out
