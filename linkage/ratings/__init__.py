"""Residents\x27 ratings of their visits, the follow-ups of low ratings, and the averages."""
