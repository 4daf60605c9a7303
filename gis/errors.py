"""Domain exceptions: a message for the user and what to do about it (no HTTP here)."""

from __future__ import annotations


class TuquanError(Exception):
    """Base of every error a user can cause or fix; carries a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message


class DatabaseUnavailable(TuquanError):
    """The database cannot be reached or started."""


class ConfigurationError(TuquanError):
    """A setting or the environment is wrong."""


class NotFound(TuquanError):
    """A requested record does not exist (or is outside the caller's scope)."""


class InputError(TuquanError):
    """A file or value given by the user is unusable; ``field`` names it when known.

    ``field`` is the name of the input as the caller sent it (a form or query field:
    ``kind``, ``bbox``), or a tuple of names when several together are wrong (``lon``,
    ``lat``); the API lists them in the problem's ``errors``.
    """

    def __init__(
        self, message: str, hint: str | None = None, field: str | tuple[str, ...] | None = None
    ) -> None:
        super().__init__(message, hint)
        self.field = field

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the wrong inputs (empty when unknown)."""
        if self.field is None:
            return ()
        return (self.field,) if isinstance(self.field, str) else tuple(self.field)


class ChecksumMismatch(InputError):
    """A downloaded file does not match its pinned sha256."""


class SourceUnavailable(TuquanError):
    """A remote or mirrored source cannot be read."""
