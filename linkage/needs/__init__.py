"""Residents' needs through their lifecycle, and residents' own view of them."""
