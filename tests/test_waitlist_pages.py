"""The waiting list on the pages (issue 14): join from a sold-out event page and see one's
place, leave, the refusals in words with what was typed kept, My registrations' "Waiting
lists" with an offer's deadline and its accept (free: confirmed here; paid: the checkout),
the offer mail's link, the organizer's list and offer by hand, and the list's fields in
the event form. Each test fails on the code before these pages (the routes, boxes and
fields did not exist); on either store (`--adapters=aws`)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import httpx
import pytest

from models.domain import Event, Registration, User
from tests.api_helpers import event_body
from tests.helpers import CSRF_RE, GOOD_PASSWORD, outbox_messages, post_form
from tests.test_organizer_pages import event_form
from web.services.container import Services
from web.settings import Settings

ZONE = "Asia/Tokyo"  # far from UTC: a deadline shown in UTC is caught
CARD_OK = "4242424242424242"


async def _user(services: Services, email: str, role: str = "attendee") -> User:
    name = email.split("@")[0].title()
    await services.accounts.sign_up(email, GOOD_PASSWORD, name, role, verified=True)
    user = await services.store.get_user_by_email(email)
    assert user is not None
    return user


async def _log_in(client: httpx.AsyncClient, email: str) -> None:
    client.cookies.clear()
    page = await client.get("/login")
    token = CSRF_RE.search(page.text)
    assert token
    data = {"email": email, "password": GOOD_PASSWORD, "csrf_token": token.group(1)}
    response = await client.post("/login", data=data)
    assert response.status_code == 303, response.text


async def _sold_out(
    services: Services, organizer: User, buyer: User, **changes: object
) -> tuple[Event, Registration]:
    """A published event of one seat, taken by `buyer` (paid when it has a price)."""
    body = event_body(capacity=1, timezone=ZONE, **changes)
    event = await services.events.create(organizer, body, "json")
    event = await services.events.publish(organizer, event.id)
    bought = await services.registrations.register(buyer, event.id, 1, [])
    if bought.amount:
        await services.payments.pay_simulated(buyer, bought.id, CARD_OK, None)
    return event, bought


@pytest.fixture
async def people(services: Services) -> dict[str, User]:
    return {
        "organizer": await _user(services, "olga@example.com", "organizer"),
        "buyer": await _user(services, "bea@example.com"),
        "ben": await _user(services, "ben@example.com"),
        "cleo": await _user(services, "cleo@example.com"),
    }


async def _join(
    client: httpx.AsyncClient, event_id: str, data: dict[str, str], **headers: str
) -> httpx.Response:
    token = await _token(client, f"/events/{event_id}")
    return await client.post(
        f"/events/{event_id}/waitlist", data={**data, "csrf_token": token}, headers=headers
    )


async def _token(client: httpx.AsyncClient, page: str) -> str:
    found = CSRF_RE.search((await client.get(page)).text)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def _entry_id(page: str) -> str:
    found = re.search(r'action="/my/waitlist/([0-9a-f]+)/leave"', page)
    assert found, page
    return found.group(1)


async def test_joining_from_a_sold_out_event_page_shows_the_place_and_leaving_works(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    event, _ = await _sold_out(services, people["organizer"], people["buyer"])
    await _log_in(client, "ben@example.com")
    page = (await client.get(f"/events/{event.id}")).text
    assert "Join the waiting list" in page
    assert 'id="f-wl-quantity"' in page
    assert 'name="ticket_type_id"' not in page  # one type: nothing to choose
    response = await _join(client, event.id, {"quantity": "2"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/events/{event.id}#waitlist"
    page = (await client.get(f"/events/{event.id}")).text
    assert "You are number <strong>1</strong> on the waiting list" in page
    assert "For 2 seats." in page
    assert "Join the waiting list</span>" not in page
    ben_entry = _entry_id(page)

    await _log_in(client, "cleo@example.com")
    # htmx swaps the register block (a redirect to the same page and #waitlist would not
    # load it: Cleo would see the form she just sent).
    response = await _join(client, event.id, {"quantity": "1"}, **{"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "You are number <strong>2</strong>" in response.text
    assert "You are number <strong>2</strong>" in (await client.get(f"/events/{event.id}")).text

    await _log_in(client, "ben@example.com")
    response = await post_form(
        client,
        f"/my/waitlist/{ben_entry}/leave",
        {"next": f"/events/{event.id}"},
        token_page=f"/events/{event.id}",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event.id}"
    page = (await client.get(f"/events/{event.id}")).text
    assert "You left the waiting list." in page
    assert "Join the waiting list" in page  # may join again
    await _log_in(client, "cleo@example.com")
    assert "You are number <strong>1</strong>" in (await client.get(f"/events/{event.id}")).text


async def test_a_type_sold_out_among_several_is_waited_for_by_name(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    organizer = people["organizer"]
    body = event_body(capacity=10, timezone=ZONE)
    event = await services.events.create(organizer, body, "json")
    vip = await services.ticket_types.create(
        organizer, event.id, {"name": "VIP", "price": 0, "capacity": 1}, "json"
    )
    await services.events.publish(organizer, event.id)
    await services.registrations.register(people["buyer"], event.id, None, [], [(vip.id, 1)])
    await _log_in(client, "ben@example.com")
    page = (await client.get(f"/events/{event.id}")).text
    assert "Get free tickets" in page  # the other type is still for sale
    assert "Some tickets are sold out." in page
    options = re.findall(r'<option value="([0-9a-f]+)"[^>]*>([^<]+)</option>', page)
    assert [(value, text.split(" ·")[0]) for value, text in options if value == vip.id] == [
        (vip.id, "VIP")
    ]
    response = await _join(client, event.id, {"quantity": "1", "ticket_type_id": ""})
    assert response.status_code == 422
    assert 'id="f-wl-ticket_type_id-error"' in response.text
    response = await _join(client, event.id, {"quantity": "1", "ticket_type_id": vip.id})
    assert response.status_code == 303, response.text
    (entry,) = await services.store.list_event_waitlist(event.id)
    assert (entry.ticket_type_id, entry.user_id) == (vip.id, people["ben"].id)


@pytest.mark.parametrize("typed", ["0", "99", "two", ""])
async def test_a_bad_quantity_is_said_next_to_the_field_and_kept(
    client: httpx.AsyncClient, services: Services, people: dict[str, User], typed: str
) -> None:
    event, _ = await _sold_out(services, people["organizer"], people["buyer"])
    await _log_in(client, "ben@example.com")
    response = await _join(client, event.id, {"quantity": typed})
    assert response.status_code == 422
    assert 'id="f-wl-quantity-error"' in response.text
    assert (
        f'name="quantity" type="number" min="1" max="10" inputmode="numeric" value="{typed}"'
        in (response.text)
    )
    htmx = await _join(client, event.id, {"quantity": typed}, **{"HX-Request": "true"})
    assert htmx.status_code == 422
    assert "<html" not in htmx.text
    assert 'id="register"' in htmx.text
    assert await services.store.list_event_waitlist(event.id) == []


async def test_seats_on_sale_again_and_a_closed_list_are_refused_in_words(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    event, bought = await _sold_out(services, people["organizer"], people["buyer"])
    await _log_in(client, "ben@example.com")
    assert "Join the waiting list" in (await client.get(f"/events/{event.id}")).text
    # Nobody waits: the seat goes back on sale while Ben has the old page open.
    await services.registrations.cancel(people["buyer"], bought.id)
    response = await _join(client, event.id, {"quantity": "1"})
    assert response.status_code == 409
    assert "Seats are on sale again: book them below instead of waiting." in response.text
    assert "Get free tickets" in response.text

    await services.registrations.register(people["cleo"], event.id, 1, [])
    await services.events.edit(people["organizer"], event.id, {"waitlist_enabled": False}, "json")
    page = (await client.get(f"/events/{event.id}")).text
    assert "Join the waiting list" not in page
    assert "Seats held by others return to sale" in page
    response = await _join(client, event.id, {"quantity": "1"})
    assert response.status_code == 409
    assert "This event&#39;s waiting list is closed." in response.text


async def test_logged_out_visitors_are_sent_to_log_in_and_back(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    event, _ = await _sold_out(services, people["organizer"], people["buyer"])
    page = (await client.get(f"/events/{event.id}")).text
    assert f'href="/login?next=/events/{event.id}">Log in to join the waiting list' in page
    token = await _token(client, "/login")
    response = await client.post(
        f"/events/{event.id}/waitlist",
        data={"quantity": "1", "csrf_token": token},
        headers={"Referer": f"http://testserver/events/{event.id}"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/events/{event.id}"


async def test_the_forms_need_their_csrf_token(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    event, _ = await _sold_out(services, people["organizer"], people["buyer"])
    await _log_in(client, "ben@example.com")
    response = await client.post(f"/events/{event.id}/waitlist", data={"quantity": "1"})
    assert response.status_code == 403
    assert await services.store.list_event_waitlist(event.id) == []
    assert (await _join(client, event.id, {"quantity": "1"})).status_code == 303
    (entry,) = await services.store.list_event_waitlist(event.id)
    response = await client.post(f"/my/waitlist/{entry.id}/leave", data={})
    assert response.status_code == 403
    response = await client.post(f"/my/registrations/{entry.id}/accept", data={})
    assert response.status_code == 403
    await _log_in(client, "olga@example.com")
    response = await client.post(f"/organizer/events/{event.id}/waitlist/{entry.id}/offer")
    assert response.status_code == 403
    (still,) = await services.store.list_event_waitlist(event.id)
    assert still.waiting


async def test_my_registrations_shows_the_place_then_the_offer_and_a_free_one_is_accepted(
    client: httpx.AsyncClient, settings: Settings, services: Services, people: dict[str, User]
) -> None:
    event, bought = await _sold_out(services, people["organizer"], people["buyer"])
    await _log_in(client, "ben@example.com")
    page = (await client.get("/my/registrations")).text
    assert "Waiting lists" in page
    assert "You are not on any waiting list." in page
    assert (await _join(client, event.id, {"quantity": "1"})).status_code == 303
    page = (await client.get("/my/registrations")).text
    assert "Number 1 in line" in page
    assert f"Leave the waiting list of {event.title}" in page

    # The buyer cancels on their page: the seat goes to Ben, with a mail at once.
    await _log_in(client, "bea@example.com")
    response = await post_form(
        client,
        f"/my/registrations/{bought.id}/cancel",
        {},
        token_page=f"/my/registrations/{bought.id}",
    )
    assert response.status_code == 303
    (entry,) = await services.store.list_event_waitlist(event.id)
    assert entry.registration_id is not None
    assert entry.offer_expires_at is not None
    deadline = entry.offer_expires_at.astimezone(ZoneInfo(ZONE)).strftime("%a %d %b %Y, %H:%M")
    (mail,) = [
        m for m in outbox_messages(settings, "ben@example.com") if "Seats for you" in m["Subject"]
    ]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = f"{settings.base_url}/my/registrations/{entry.registration_id}"
    assert link in text

    await _log_in(client, "ben@example.com")
    page = (await client.get("/my/registrations")).text
    assert "Seats offered to you" in page
    assert f'{deadline}</time></strong> <span class="muted">({ZONE})' in page
    assert f'action="/my/registrations/{entry.registration_id}/accept"' in page
    # The mail's link lands on the offer with its accept button.
    offer = (await client.get(link.removeprefix(settings.base_url))).text
    assert "Seats came free for you from the waiting list." in offer
    assert deadline in offer
    assert "Accept the seats" in offer
    assert "Continue to payment" not in offer

    response = await post_form(
        client,
        f"/my/registrations/{entry.registration_id}/accept",
        {},
        token_page="/my/registrations",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/my/registrations/{entry.registration_id}"
    page = (await client.get(response.headers["location"])).text
    assert "The seats are yours" in page
    assert "You're going!" in page
    registration = await services.store.get_registration(entry.registration_id)
    assert registration is not None
    assert registration.status.value == "confirmed"
    page = (await client.get("/my/registrations")).text
    assert "You are not on any waiting list." in page  # accepted: it is a registration now


async def test_a_paid_offer_is_accepted_at_the_checkout(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    event, bought = await _sold_out(services, people["organizer"], people["buyer"], price=1500)
    await _log_in(client, "ben@example.com")
    assert (await _join(client, event.id, {"quantity": "1"})).status_code == 303
    await services.registrations.cancel(people["buyer"], bought.id)
    (entry,) = await services.store.list_event_waitlist(event.id)
    registration_id = entry.registration_id
    page = (await client.get("/my/registrations")).text
    assert f'href="/checkout/{registration_id}"' in page
    assert "Accept and pay €15.00" in page
    offer = (await client.get(f"/my/registrations/{registration_id}")).text
    assert "Continue to payment" in offer
    assert "Accept the seats" not in offer
    response = await post_form(
        client, f"/my/registrations/{registration_id}/accept", {}, token_page="/my/registrations"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/checkout/{registration_id}"
    assert (await client.get(f"/checkout/{registration_id}")).status_code == 200


async def test_another_persons_entry_and_offer_answer_404(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    event, bought = await _sold_out(services, people["organizer"], people["buyer"])
    first = await services.waitlist.join(people["ben"], event.id, 1)
    await services.waitlist.join(people["cleo"], event.id, 1)
    await services.registrations.cancel(people["buyer"], bought.id)  # Ben is offered it
    offered = await services.store.get_waitlist_entry(first.entry.id)
    assert offered is not None
    assert offered.registration_id is not None
    (_, cleos) = await services.store.list_event_waitlist(event.id)
    await _log_in(client, "cleo@example.com")
    page = f"/events/{event.id}"
    response = await post_form(client, f"/my/waitlist/{first.entry.id}/leave", {}, page)
    assert response.status_code == 404
    response = await post_form(
        client, f"/my/registrations/{offered.registration_id}/accept", {}, page
    )
    assert response.status_code == 404
    assert (await client.get(f"/my/registrations/{offered.registration_id}")).status_code == 404
    registration = await services.store.get_registration(offered.registration_id)
    assert registration is not None
    assert registration.status.value == "held"
    # Cleo's own entry, offered nothing yet, still is hers to leave.
    response = await post_form(client, f"/my/waitlist/{cleos.id}/leave", {}, page)
    assert response.status_code == 303


async def test_the_organizer_sees_the_list_in_order_and_offers_seats_by_hand(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    organizer = people["organizer"]
    event, bought = await _sold_out(services, organizer, people["buyer"])
    await _log_in(client, "olga@example.com")
    path = f"/organizer/events/{event.id}/waitlist"
    page = (await client.get(path)).text
    assert "Nobody has joined the waiting list yet." in page
    dashboard = (await client.get(f"/organizer/events/{event.id}")).text
    assert f'href="{path}">Waiting list (0)' in dashboard

    await services.waitlist.join(people["ben"], event.id, 1)
    cleo = await services.waitlist.join(people["cleo"], event.id, 1)
    page = (await client.get(path)).text
    assert page.index("ben@example.com") < page.index("cleo@example.com")
    for shown in ("Position", "Email", "Offered until", "General admission", "Waiting"):
        assert shown in page
    assert page.count(">Offer seats</button>") == 2
    assert (
        f'href="{path}">Waiting list (2)'
        in (await client.get(f"/organizer/events/{event.id}")).text
    )

    offer = f"{path}/{cleo.entry.id}/offer"
    response = await post_form(client, offer, {}, token_page=path)
    assert response.status_code == 409
    assert 'id="offer-refused"' in response.text
    assert "Only 0 seats left." in response.text

    await services.events.edit(organizer, event.id, {"waitlist_enabled": False}, "json")
    await services.registrations.cancel(people["buyer"], bought.id)  # off: nobody is offered it
    response = await post_form(client, offer, {}, token_page=path)
    assert response.status_code == 303
    page = (await client.get(path)).text
    assert "Seats offered to Cleo" in page
    assert "Offered</span>" in page
    assert page.count(">Offer seats</button>") == 1
    response = await post_form(client, offer, {}, token_page=path)
    assert response.status_code == 409
    assert "This entry is offered." in response.text

    other = await _user(services, "otto@example.com", "organizer")
    assert other.id
    await _log_in(client, "otto@example.com")
    assert (await client.get(path)).status_code == 404
    response = await post_form(client, offer, {}, token_page="/organizer")
    assert response.status_code == 404
    await _log_in(client, "ben@example.com")
    assert (await client.get(path)).status_code == 403


async def test_the_event_form_sets_the_list_and_its_offer_hours(
    client: httpx.AsyncClient, services: Services, people: dict[str, User]
) -> None:
    await _log_in(client, "olga@example.com")
    form = (await client.get("/organizer/events/new")).text
    assert re.search(
        r'id="f-waitlist_enabled" name="waitlist_enabled" type="checkbox" checked', form
    )
    assert (
        'id="f-waitlist_offer_hours" name="waitlist_offer_hours" type="number" value="24"' in form
    )
    data = {**event_form(), "waitlist_enabled": "on", "waitlist_offer_hours": "0"}
    response = await post_form(client, "/organizer/events/new", data)
    assert response.status_code == 422
    assert 'id="f-waitlist_offer_hours-error"' in response.text
    assert 'name="waitlist_offer_hours" type="number" value="0"' in response.text
    assert re.search(r'name="waitlist_enabled" type="checkbox" checked', response.text)
    data["waitlist_offer_hours"] = "48"
    response = await post_form(client, "/organizer/events/new", data)
    assert response.status_code == 303, response.text
    event_id = response.headers["location"].rsplit("/", 1)[1]
    event = await services.store.get_event(event_id)
    assert event is not None
    assert (event.waitlist_enabled, event.waitlist_offer_hours) == (True, 48)

    edit = f"/organizer/events/{event_id}/edit"
    form = (await client.get(edit)).text
    assert re.search(r'name="waitlist_enabled" type="checkbox" checked', form)
    unticked = {k: v for k, v in data.items() if k != "waitlist_enabled"}
    response = await post_form(client, edit, unticked)
    assert response.status_code == 303, response.text
    event = await services.store.get_event(event_id)
    assert event is not None
    assert event.waitlist_enabled is False
    form = (await client.get(edit)).text
    assert not re.search(r'name="waitlist_enabled" type="checkbox" checked', form)
