"""A journey with no dead ends (issue 14), over HTTP: "My registrations" in the navigation,
the tickets on the confirmation page, the page that waits for a payment and asks again
with a backoff, calendar entries, QR codes on "My tickets", and what a phone keeps
offline (the list of the account's upcoming tickets and each one's PDF)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from tests.api_helpers import API, Person, create_event, registered, sign_up
from tests.conftest import BASE_URL
from tests.helpers import GOOD_PASSWORD, post_form
from web.rendering.qr import qr_svg

pytestmark = pytest.mark.settings(require_email_verification=False)

CARD_OK = "4242424242424242"
HX = {"HX-Request": "true"}


@asynccontextmanager
async def signed_in(app: Starlette, person: Person) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own with `person`'s session."""
    transport = httpx.ASGITransport(app=app.state.asgi, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as browser:
        response = await post_form(
            browser, "/login", {"email": person.email, "password": GOOD_PASSWORD}
        )
        assert response.status_code == 303, response.text
        yield browser


@pytest.fixture
async def people(client: httpx.AsyncClient) -> dict[str, Person]:
    return {
        "organizer": await sign_up(client, "olga@example.com", "organizer"),
        "ana": await sign_up(client, "ana@example.com"),
        "bea": await sign_up(client, "bea@example.com"),
    }


async def _ticket_code(client: httpx.AsyncClient, person: Person, ticket_id: str) -> str:
    response = await client.get(f"{API}/tickets/{ticket_id}", headers=person.headers)
    assert response.status_code == 200, response.text
    code: str = response.json()["code"]
    return code


def _registration_block(html: str) -> str:
    match = re.search(r'<div id="registration"[^>]*>', html)
    assert match, html
    return match.group(0)


async def test_navigation_names_my_registrations(app: Starlette, people: dict[str, Person]) -> None:
    """Fails before issue 14: the navigation had "My tickets" but no "My registrations"."""
    async with signed_in(app, people["ana"]) as browser:
        home = (await browser.get("/")).text
        nav = home.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/my/registrations">My registrations</a>' in nav
        page = (await browser.get("/my/registrations")).text
        nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/my/registrations" aria-current="page">My registrations</a>' in nav


async def test_the_confirmation_page_shows_the_holders_tickets(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: a confirmed registration's page had no QR, PDF or calendar."""
    organizer, ana = people["organizer"], people["ana"]
    event = await create_event(client, organizer, title="Fado Night")
    registration = await registered(client, ana, event["id"], 2, attendee_names=["Ana", "Rui"])
    async with signed_in(app, ana) as browser:
        page = await browser.get(f"/my/registrations/{registration['id']}")
    assert page.status_code == 200
    assert "no-store" in page.headers["cache-control"]
    html = page.text
    assert "Your tickets" in html
    for seat, ticket_id in enumerate(registration["tickets"], start=1):
        code = await _ticket_code(client, ana, ticket_id)
        # The QR is the ticket's own code, and one tap opens the ticket's big one.
        assert qr_svg(code, label=f"QR code of Ticket {seat} of 2") in html
        assert f'href="/tickets/{ticket_id}#qr"' in html
        assert f'href="/tickets/{ticket_id}/pdf"' in html
    assert f'href="/my/registrations/{registration["id"]}/calendar.ics"' in html

    # Its organizer may look at the registration, but the codes stay with their holder.
    async with signed_in(app, organizer) as browser:
        page = await browser.get(f"/my/registrations/{registration['id']}")
    assert page.status_code == 200
    assert "<svg" not in page.text
    assert "calendar.ics" not in page.text


async def test_calendar_entries_are_for_the_holder_alone(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: the .ics came only attached to the confirmation mail."""
    organizer, ana, bea = people["organizer"], people["ana"], people["bea"]
    event = await create_event(client, organizer, title="Fado Night", venue="Alfama")
    paid = await create_event(client, organizer, title="Opera", price=2500)
    registration = await registered(client, ana, event["id"], 2)
    held = await registered(client, ana, paid["id"], 1)
    ticket_id = registration["tickets"][1]
    async with signed_in(app, ana) as browser:
        for path in (
            f"/my/registrations/{registration['id']}/calendar.ics",
            f"/tickets/{ticket_id}/calendar.ics",
        ):
            response = await browser.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/calendar")
            assert response.headers["content-disposition"] == 'attachment; filename="event.ics"'
            assert "no-store" in response.headers["cache-control"]
            body = response.text.replace("\r\n ", "")  # unfold long lines
            assert "BEGIN:VEVENT" in body
            assert "SUMMARY:Fado Night" in body
            assert "LOCATION:Alfama" in body
            # One entry per registration, whichever page added it.
            assert f"UID:{registration['id']}@admit" in body
        assert "/tickets/" + ticket_id in body  # the ticket's own entry links to the ticket
        # Not confirmed yet: nothing to put in a calendar.
        assert (
            await browser.get(f"/my/registrations/{held['id']}/calendar.ics")
        ).status_code == 404
    for person in (bea, organizer):
        async with signed_in(app, person) as browser:
            for path in (
                f"/my/registrations/{registration['id']}/calendar.ics",
                f"/tickets/{ticket_id}/calendar.ics",
            ):
                assert (await browser.get(path)).status_code == 404, (person.email, path)

    # A void ticket (its registration cancelled) has no entry either.
    response = await client.post(
        f"{API}/registrations/{registration['id']}/cancel", headers=ana.headers
    )
    assert response.status_code == 200, response.text
    async with signed_in(app, ana) as browser:
        assert (await browser.get(f"/tickets/{ticket_id}/calendar.ics")).status_code == 404


async def test_the_ticket_page_offers_the_calendar_to_its_holder(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: the ticket page had no "Add to calendar"."""
    organizer, ana = people["organizer"], people["ana"]
    event = await create_event(client, organizer)
    [ticket_id] = (await registered(client, ana, event["id"], 1))["tickets"]
    link = f'href="/tickets/{ticket_id}/calendar.ics"'
    async with signed_in(app, ana) as browser:
        page = (await browser.get(f"/tickets/{ticket_id}")).text
        assert link in page
        assert 'id="qr"' in page  # where "My tickets" and the confirmation page link to
    async with signed_in(app, organizer) as browser:
        page = await browser.get(f"/tickets/{ticket_id}")
        assert page.status_code == 200
        assert link not in page.text


async def test_after_paying_the_page_asks_again_with_a_backoff(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: back from Stripe, the page said "Awaiting payment" until it
    was reloaded by hand."""
    organizer, ana = people["organizer"], people["ana"]
    event = await create_event(client, organizer, price=2500, title="Opera")
    registration = await registered(client, ana, event["id"], 2)
    path = f"/my/registrations/{registration['id']}"
    async with signed_in(app, ana) as browser:
        # Without a payment on its way, the page is as it was: no questions.
        page = (await browser.get(path)).text
        assert "hx-trigger" not in _registration_block(page)
        assert "Continue to payment" in page

        # Stripe sends the payer back with `redirect_status`.
        page = (
            await browser.get(
                path, params={"payment_intent": "pi_1", "redirect_status": "succeeded"}
            )
        ).text
        block = _registration_block(page)
        assert f'hx-get="{path}?waiting=1"' in block
        assert 'hx-trigger="load delay:1s"' in block
        assert 'hx-swap="outerHTML"' in block
        assert re.search(r'<p id="payment-news" class="note" role="status">\s*Waiting', page)
        assert "Continue to payment" not in page  # paying twice is not the way out
        assert "Cancel this registration" not in page

        # Each answer names the next question, later each time, and then stops.
        delays = []
        for asked in range(1, 20):
            answer = await browser.get(path, params={"waiting": str(asked)}, headers=HX)
            assert answer.status_code == 200
            assert "<html" not in answer.text  # the fragment only
            assert "HX-Request" in answer.headers["vary"]
            block = _registration_block(answer.text)
            delay = re.search(r'hx-trigger="load delay:(\d+)s"', block)
            if delay is None:
                break
            assert f'hx-get="{path}?waiting={asked + 1}"' in block
            assert "<hx-partial" not in answer.text  # the live region is left alone
            delays.append(int(delay.group(1)))
        assert delays == [2, 4, 8, 15, 15, 15, 15, 15, 15]
        assert re.search(
            r'<hx-partial hx-target="#payment-news" hx-swap="innerHTML">\s*Still waiting',
            answer.text,
        )
        assert f'<a href="{path}">Reload this page</a>' in answer.text

        # The webhook lands (here: the simulator confirms it); the next answer has the
        # tickets, says so in the live region, and asks no more.
        response = await client.post(
            f"{API}/registrations/{registration['id']}/simulated-payment",
            json={"card_number": CARD_OK},
            headers=ana.headers,
        )
        assert response.status_code == 200, response.text
        answer = await browser.get(path, params={"waiting": "3"}, headers=HX)
        block = _registration_block(answer.text)
        assert "hx-trigger" not in block
        assert re.search(
            r'<hx-partial hx-target="#payment-news" hx-swap="innerHTML">\s*Payment received',
            answer.text,
        )
        for ticket_id in response.json()["tickets"]:
            assert f'href="/tickets/{ticket_id}/pdf"' in answer.text
        assert answer.text.count("<svg") == 2
        assert "You're going!" in answer.text


async def test_offline_list_names_the_accounts_upcoming_tickets(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: the service worker had no list, so a ticket was offline
    only after its page had been opened."""
    organizer, ana, bea = people["organizer"], people["ana"], people["bea"]
    soon = await create_event(client, organizer, days=2)
    later = await create_event(client, organizer, days=9)
    kept = await registered(client, ana, later["id"], 2)
    first = await registered(client, ana, soon["id"], 1)
    cancelled = await registered(client, ana, soon["id"], 1)
    response = await client.post(
        f"{API}/registrations/{cancelled['id']}/cancel", headers=ana.headers
    )
    assert response.status_code == 200, response.text
    await registered(client, bea, soon["id"], 1)

    anonymous = await client.get("/my/tickets/offline.json")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"

    async with signed_in(app, ana) as browser:
        response = await browser.get("/my/tickets/offline.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    listed = response.json()
    assert listed["user"] == ana.id
    # Soonest event first; void tickets left out; paths only, no codes.
    expected = [*first["tickets"], *kept["tickets"]]
    assert listed["tickets"] == [
        {"page": f"/tickets/{t}", "pdf": f"/tickets/{t}/pdf", "file": f"/tickets/{t}/ticket.pdf"}
        for t in expected
    ]
    assert "AD1" not in response.text

    async with signed_in(app, organizer) as browser:
        response = await browser.get("/my/tickets/offline.json")
    assert response.json() == {"user": organizer.id, "tickets": []}


async def test_the_pdf_itself_is_served_to_its_holder(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: a PDF came only through a signed link (S3's are on another
    origin, which the service worker cannot keep)."""
    organizer, ana, bea = people["organizer"], people["ana"], people["bea"]
    event = await create_event(client, organizer)
    [ticket_id] = (await registered(client, ana, event["id"], 1))["tickets"]
    async with signed_in(app, ana) as browser:
        response = await browser.get(f"/tickets/{ticket_id}/ticket.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    for person in (bea, organizer):
        async with signed_in(app, person) as browser:
            response = await browser.get(f"/tickets/{ticket_id}/ticket.pdf")
        assert response.status_code == 404


async def test_my_tickets_shows_each_usable_tickets_qr(
    app: Starlette, client: httpx.AsyncClient, people: dict[str, Person]
) -> None:
    """Fails before issue 14: "My tickets" listed tickets without their QR codes."""
    organizer, ana = people["organizer"], people["ana"]
    event = await create_event(client, organizer, title="Fado Night")
    registration = await registered(client, ana, event["id"], 2)
    void = await registered(client, ana, event["id"], 1)
    response = await client.post(f"{API}/registrations/{void['id']}/cancel", headers=ana.headers)
    assert response.status_code == 200, response.text
    async with signed_in(app, ana) as browser:
        page = (await browser.get("/my/tickets")).text
    for seat, ticket_id in enumerate(registration["tickets"], start=1):
        code = await _ticket_code(client, ana, ticket_id)
        assert qr_svg(code, label=f"QR code of Ticket {seat} of 2") in page
        assert f'<a href="/tickets/{ticket_id}#qr" class="ticket-link">' in page
        # Marked once the phone has it (offline.js looks in the worker's cache).
        assert f'data-offline-page="/tickets/{ticket_id}"' in page
    [void_id] = void["tickets"]
    assert f'<a href="/tickets/{void_id}" class="ticket-link">' in page
    assert f'data-offline-page="/tickets/{void_id}"' not in page
    assert page.count("<svg") == 2
    assert page.count("Available offline") == 2  # hidden until true
