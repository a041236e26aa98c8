"""The one domain error: every business rule that refuses an action raises it."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action: a stable machine `code`, a human `message`, and the fields at fault.

    It says nothing of HTTP: each edge (the API, the HTML forms) maps codes to its own answer.
    """

    def __init__(self, code: str, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}
