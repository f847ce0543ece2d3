"""Exceptions of the client package.

Requests never raise for server or network failures (the RequestRecord carries them); these
exceptions are for misconfiguration and for the pre-flight check, and each message is one line
meant to be shown to the user as is.
"""

from __future__ import annotations

__all__ = ["ClientConfigError", "ClientError", "PreflightError"]


class ClientError(Exception):
    """Base class of every exception the client raises."""


class ClientConfigError(ClientError, ValueError):
    """The client was given something it cannot use (a bad URL, no model, a bad option)."""


class PreflightError(ClientError):
    """`list_models()` failed: the server is not usable as configured.

    `url` is the base URL asked, `what_happened` one line saying what went wrong and, where
    possible, what to do about it.
    """

    def __init__(self, url: str, what_happened: str) -> None:
        self.url = url
        self.what_happened = what_happened
        super().__init__(f"{url}: {what_happened}")

    def __reduce__(self) -> tuple[type[PreflightError], tuple[str, str]]:
        return (type(self), (self.url, self.what_happened))
