"""Volunteer shifts: creation, sign-up with a waitlist, roster, check-in/out and hours."""
