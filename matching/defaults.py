"""Defaults shared by every solver of the package and its command line."""

# Seconds a solve may take when the caller gives no limit (docs/contract.md, "Command line").
DEFAULT_TIME_LIMIT = 10.0
