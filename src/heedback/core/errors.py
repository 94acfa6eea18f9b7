"""Errors that services raise and every adapter (page, API, command) turns into its own form.

A service states *what* is wrong and *where* (a field path); the API turns it into JSON
with the right status, a page into form errors, a command into a message and exit code.
"""

from __future__ import annotations

from collections.abc import Iterable


class ServiceError(Exception):
    """Base of the errors a service raises on purpose."""

    status = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(ServiceError):
    """The input breaks a rule; ``errors`` maps field paths to messages."""

    status = 422

    @classmethod
    def from_pairs(cls, message: str, pairs: Iterable[tuple[str, str]]) -> InvalidInput:
        """Build the error from (path, message) pairs, keeping every message of a path."""
        errors: dict[str, list[str]] = {}
        for path, text in pairs:
            errors.setdefault(path, []).append(text)
        return cls(message, errors=errors)


class Conflict(ServiceError):
    """The action clashes with the current state (a duplicate, a closed survey)."""

    status = 409


class NotFound(ServiceError):
    """The object does not exist in this organisation (or at all: the two look the same)."""

    status = 404


class Forbidden(ServiceError):
    """The caller may see the object but not do this to it."""

    status = 403
