"""The exception services raise when a rule refuses an action."""
from __future__ import annotations

from typing import Optional


class Refused(Exception):
    """A domain rule refused the action; nothing was written.

    ``message`` is a translatable string for the user (build it with ``lazy_gettext``/``gettext``);
    ``field`` names the form field at fault, if one is.
    """

    def __init__(self, message, field: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
