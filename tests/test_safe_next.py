"""`next` after log-in: only paths of this site, as a browser would resolve them (issue 10).

`next=/\t/evil.example` left the site: browsers drop tabs and newlines and read a
backslash as a slash, and htmx follows `HX-Redirect` the same way.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest

from tests.helpers import GOOD_PASSWORD, csrf_token, sign_up_verified
from web.forms import safe_next
from web.settings import Settings

SITE = "http://testserver/login"

# Each of these would leave the site, run script, or is not a plain path of this site.
HOSTILE = [
    "//evil.example",
    "//evil.example/organizer",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "\\\\\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "/\t\\evil.example",
    "/\\\t\\evil.example",
    "\n/\n/\nevil.example",
    " //evil.example",
    "  /organizer",
    "\x0c//evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "/organizer\x00",
    "/organizer\x1b[31m",
    "/organizer\x7f",
    "\u2028//evil.example",
    "\u00a0//evil.example",
    "https://evil.example",
    "HTTPS://evil.example/",
    "http://evil.example/organizer",
    "https:evil.example",
    "http:/evil.example",
    "http:\\\\evil.example",
    "https:\t//evil.example",
    "//testserver@evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "java\tscript:alert(1)",
    "\tjavascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "evil.example",
    "@evil.example",
    "evil.example/organizer",
    "%2F%2Fevil.example",
    "%2f%5cevil.example",
    "./organizer",
    "../organizer",
    "?next=//evil.example",
    "#//evil.example",
    "",
]

# Paths of this site, and what is kept of them (quoted so a header can carry them).
KEPT = [
    ("/organizer", "/organizer"),
    ("/organizer?x=1", "/organizer?x=1"),
    ("/events/abc?q=jazz&free=1", "/events/abc?q=jazz&free=1"),
    ("/my/tickets#top", "/my/tickets"),
    ("/my\\tickets", "/my/tickets"),
    ("/my\ttickets", "/mytickets"),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
    ("/%09/evil.example", "/%09/evil.example"),
    ("/%5C%5Cevil.example", "/%5C%5Cevil.example"),
    ("/ /evil.example", "/%20/evil.example"),
    ("/@evil.example", "/@evil.example"),
    ("/search?next=//evil.example", "/search?next=//evil.example"),
    ("/organizer\r\nSet-Cookie: stolen=1", "/organizerSet-Cookie:%20stolen=1"),
    ("/caf\u00e9", "/caf%C3%A9"),
    ("/\u3000/evil.example", "/%E3%80%80/evil.example"),
]


def browser_resolves(location: str, base: str = SITE) -> tuple[str, str]:
    """(scheme, host) a browser lands on for `location` (WHATWG URL parsing, in short)."""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = cleaned.translate(str.maketrans("", "", "\t\n\r")).replace("\\", "/")
    resolved = urlsplit(urljoin(base, cleaned))
    return resolved.scheme, resolved.netloc


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_gets_the_default(target: str) -> None:
    """Issue 10: the old check let `/\\t/evil.example` and friends through."""
    assert safe_next(target) == "/"
    assert safe_next(target, default="") == ""


@pytest.mark.parametrize(("target", "kept"), KEPT)
def test_paths_of_this_site_are_kept(target: str, kept: str) -> None:
    assert safe_next(target) == kept
    assert browser_resolves(kept) == ("http", "testserver")
    assert kept.isascii()
    assert kept.isprintable()


@pytest.mark.parametrize("target", [t for t, _ in KEPT] + HOSTILE)
def test_whatever_comes_back_stays_on_the_site(target: str) -> None:
    assert browser_resolves(safe_next(target)) == ("http", "testserver")


def test_none_gets_the_default() -> None:
    assert safe_next(None, default="/organizer") == "/organizer"


async def _log_in(
    client: httpx.AsyncClient, next_value: str, *, htmx: bool, via_query: bool
) -> httpx.Response:
    client.cookies.clear()
    page = f"/login?next={quote(next_value, safe='')}" if via_query else "/login"
    token = await csrf_token(client, page)
    data = {"email": "n@example.com", "password": GOOD_PASSWORD, "csrf_token": token}
    if not via_query:
        data["next"] = next_value
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(page, data=data, headers=headers)


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
async def test_login_never_leaves_the_site(
    client: httpx.AsyncClient, settings: Settings, htmx: bool
) -> None:
    """Issue 10: `next=/\\t/evil.example` sent people to evil.example after logging in."""
    await sign_up_verified(client, settings, "n@example.com", role="organizer")
    for target in HOSTILE:
        # The query's `next` travels through the form's hidden field; once is enough.
        for via_query in (False, True) if not htmx else (False,):
            answer = await _log_in(client, target, htmx=htmx, via_query=via_query)
            header = "hx-redirect" if htmx else "location"
            assert answer.status_code == (200 if htmx else 303), (target, answer.text[:200])
            assert answer.headers[header] == "/organizer", target
    for target, kept in KEPT:
        answer = await _log_in(client, target, htmx=htmx, via_query=False)
        header = "hx-redirect" if htmx else "location"
        assert answer.headers[header] == kept, target
        assert browser_resolves(answer.headers[header]) == ("http", "testserver")


async def test_logged_in_visit_to_login_never_leaves_the_site(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_up_verified(client, settings, "n@example.com", role="organizer")
    for target in HOSTILE:
        answer = await client.get("/login", params={"next": target})
        assert answer.status_code == 303, target
        assert answer.headers["location"] == "/organizer", target


async def test_login_page_keeps_only_a_safe_next_in_its_form(client: httpx.AsyncClient) -> None:
    page = await client.get("/login", params={"next": "/\t/evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text
    page = await client.get("/login", params={"next": "/organizer\r\nX-Injected: 1"})
    assert page.status_code == 200
    assert "x-injected" not in page.headers
