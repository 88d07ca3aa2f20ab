"""Exceptions raised by the optimizer."""


class BadInput(ValueError):
    """A problem that cannot be solved as given; ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
