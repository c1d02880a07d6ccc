"""Small helpers for HTML forms: read fields as trimmed strings, keep what was typed."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request

SECRET_FIELDS = frozenset({"password", "csrf_token"})


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def kept(values: dict[str, str]) -> dict[str, str]:
    """What to put back into a re-shown form: everything but secrets."""
    return {key: value for key, value in values.items() if key not in SECRET_FIELDS}


def safe_next(target: str | None, default: str = "/") -> str:
    r"""`target` if a browser would resolve it to a path of this site, else `default`.

    Read as a browser reads a link (the WHATWG URL parser): ASCII tabs and newlines are
    dropped wherever they are and a backslash is a slash, so `/\t/evil.example` and
    `/\evil.example` are the scheme-relative `//evil.example`, another site. Only a
    path that starts with exactly one slash passes; anything with a scheme, a host, a
    leading space or any other control character gets `default`. The answer is
    re-quoted, so it is plain ASCII and safe in a `Location` or `HX-Redirect` header.
    """
    if not target:
        return default
    cleaned = target.translate(_DROPPED_BY_BROWSERS).replace("\\", "/")
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in cleaned):
        return default
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return default
    path = quote(parts.path, safe=_PATH_SAFE)
    if path.startswith("//"):
        return default
    query = quote(parts.query, safe=_PATH_SAFE + "?")
    return f"{path}?{query}" if query else path


_DROPPED_BY_BROWSERS = str.maketrans("", "", "\t\n\r")
# Characters a URL may carry as they are (RFC 3986 sub-delims, ":", "@", "/" and "%" for
# escapes already made); everything else, spaces and non-ASCII included, is escaped.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
