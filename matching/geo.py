"""Great-circle distance and the contract's distance units (pure Python, with numpy fast paths)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

EARTH_RADIUS_KM = 6371.0


def haversine_km(a, b) -> float:
    """Great-circle distance in km between two (lat, lon) points in degrees (radius 6371.0 km)."""
    lat1 = math.radians(a[0])
    lat2 = math.radians(b[0])
    dlat = lat2 - lat1
    dlon = math.radians(b[1]) - math.radians(a[1])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def distance_units(km: float) -> int:
    """Distance in units of 100 m, rounded half up on the number's shortest decimal form (2.35 → 24)."""
    return int((Decimal(repr(float(km))) * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def haversine_many(lat, lon, lats, lons):
    """Distances in km from one point to arrays of points (may differ from haversine_km by an ulp)."""
    lat1 = np.radians(lat)
    lat2 = np.radians(lats)
    dlat = lat2 - lat1
    dlon = np.radians(lons) - np.radians(lon)
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))


def distance_units_many(km: np.ndarray) -> np.ndarray:
    """Vectorised distance_units; values within 1e-6 of a .5 boundary go through the exact path."""
    x = np.asarray(km, dtype=np.float64) * 10.0
    out = np.floor(x + 0.5).astype(np.int64)
    frac = x - np.floor(x)
    near = np.nonzero(np.abs(frac - 0.5) < 1e-6)[0]
    for i in near:
        out[i] = distance_units(float(km[i]))
    return out


def lon_window_deg(lat_deg: float, radius_km: float) -> float | None:
    """Half-width in degrees of longitude of a box holding every point within radius_km; None if all."""
    delta = radius_km / EARTH_RADIUS_KM * 1.0001 + 1e-9
    lat = math.radians(lat_deg)
    if abs(lat) + delta >= math.pi / 2 or delta >= math.pi / 2:
        return None
    s = math.sin(delta) / math.cos(lat)
    if s >= 1.0:
        return None
    return math.degrees(math.asin(s)) * 1.0001 + 1e-9


def lat_window_deg(radius_km: float) -> float:
    """Half-height in degrees of latitude of a box holding every point within radius_km."""
    return math.degrees(radius_km / EARTH_RADIUS_KM) * 1.0001 + 1e-9
