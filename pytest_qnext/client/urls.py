"""Base-URL normalisation: accept what users paste, hand the client a `/v1`-style base."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from pytest_qnext.client.errors import ClientConfigError

__all__ = ["normalize_base_url", "redirect_message"]

# endpoint suffixes users paste (e.g. `evalscope perf --url .../v1/chat/completions`)
_ENDPOINT_SUFFIXES = ("/chat/completions", "/completions", "/models")


def normalize_base_url(url: str) -> str:
    """Return the API base (e.g. `http://127.0.0.1:8801/v1`) for what a user typed.

    Accepts a base (`http://host:port/v1`), a bare host (`http://host:port`, `/v1` is
    appended) or a full endpoint URL (`.../v1/chat/completions`, `.../v1/completions`,
    `.../v1/models`), with or without trailing slashes. A base with another path prefix
    (`https://host/api/openai`) is kept as given. Raises `ClientConfigError` (a `ValueError`)
    with a one-line message for anything that is not an http(s) URL.
    """
    if not isinstance(url, str):
        raise ClientConfigError(f"server URL must be a string, got {type(url).__name__}")
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - validates the port number
    except ValueError as exc:
        raise ClientConfigError(f"invalid server URL {text!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ClientConfigError(
            f"server URL must start with http:// or https://, got {text!r} "
            "(e.g. http://127.0.0.1:8000/v1)"
        )
    if not parts.hostname:
        raise ClientConfigError(f"server URL {text!r} has no host (e.g. http://127.0.0.1:8000/v1)")
    if parts.query or parts.fragment:
        raise ClientConfigError(
            f"server URL {text!r} has a query string or fragment; give the base URL only "
            "(e.g. http://127.0.0.1:8000/v1)"
        )
    path = parts.path.rstrip("/")
    for suffix in _ENDPOINT_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    if not path:
        path = "/v1"
    return f"{scheme}://{parts.netloc}{path}"


def redirect_message(url: str, status: int, location: str | None) -> str:
    """The one rule for redirects, shared by the capability client and the perf sender: they
    are not followed (a POST would turn into a GET, or the key would go to another host);
    the request fails with this line, which names the final URL to give instead."""
    if not location:
        return f"HTTP {status} redirect from {url} without a Location header"
    final = urljoin(url, location)
    return (
        f"HTTP {status} from {url}: redirect to {final}; give the final URL "
        "(redirects are not followed)"
    )
