"""The one domain error: every business rule that refuses an action raises it."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action, with a stable machine `code`, a human `message` and an HTTP status."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}
