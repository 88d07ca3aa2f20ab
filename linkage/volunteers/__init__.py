"""Volunteers' own pages: profile, skills and availability, their shifts, their hours and stars."""
