"""The public transparency page and the open contracting data of every purchase (no log-in)."""
