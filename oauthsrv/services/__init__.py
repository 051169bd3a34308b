"""Plain functions holding the rules, shared by the back-office, the CLI and the APIs."""


class ValidationError(ValueError):
    """Bad input with a message meant for the person who gave it; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
