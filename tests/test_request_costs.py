"""Issue 12, cheaper work per request: what each request no longer does twice or in vain
(the figures are in docs/BENCHMARKS.md, "Where a request's time goes"; no test times)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Mount, Route

from models.domain import utcnow
from models.sqlite.point_reads import row_where, rows_where
from models.sqlite.store import SqliteStore
from models.sqlite.tables import EventRow, RegistrationRow, TicketRow, UserRow
from models.tickets import tickets_for
from tests.store_contract import make_event, make_registration, make_user
from web.app import create_app
from web.settings import Settings


def test_the_api_is_the_routers_first_route_and_no_page_route_takes_api_paths(
    tmp_path: Path,
) -> None:
    """Issue 12: every API request was matched against some 40 page routes first."""
    app = create_app(Settings.from_env({"ADMIT_DATA_DIR": str(tmp_path)}, env_file=None))
    first = app.router.routes[0]
    assert isinstance(first, Mount)
    assert first.path == "/api/v1"
    for route in app.router.routes[1:]:
        path = route.path if isinstance(route, (Route, Mount)) else ""
        assert not path.startswith("/api"), path


async def test_point_reads_give_piccolos_rows_and_see_their_own_transaction(
    sqlite_store: SqliteStore,
) -> None:
    """Issue 12: the hot reads built their SQL with Piccolo on every call (about 0.25 ms of
    CPU each); the SQL written once must read the very same rows, and inside a write
    transaction still see that transaction's writes."""
    store = sqlite_store
    user = make_user("point@example.com", name="Point Reader")
    await store.create_user(user, "not-a-real-hash")
    event = make_event(user.id)
    await store.create_event(event)
    registration = make_registration(event, 3, user_id=user.id, attendee_names=("A", "B"))
    now = utcnow()
    await store.hold_seats(registration, now, tickets_for(registration, now))

    assert await row_where(EventRow, EventRow.id, event.id) == (
        await EventRow.select().where(EventRow.id == event.id).first().run()
    )
    assert await row_where(UserRow, UserRow.id, user.id) == (
        await UserRow.select().where(UserRow.id == user.id).first().run()
    )
    assert await row_where(RegistrationRow, RegistrationRow.id, registration.id) == (
        await RegistrationRow.select().where(RegistrationRow.id == registration.id).first().run()
    )
    tickets = await rows_where(
        TicketRow, TicketRow.registration_id, registration.id, order_by=TicketRow.seat_no
    )
    assert (
        tickets
        == await TicketRow.select()
        .where(TicketRow.registration_id == registration.id)
        .order_by(TicketRow.seat_no)
        .run()
    )
    assert [row["seat_no"] for row in tickets] == [1, 2, 3]
    assert await row_where(EventRow, EventRow.id, "no-such-event") is None

    async with store.write_transaction():
        await EventRow.update({EventRow.title: "Renamed inside"}).where(EventRow.id == event.id)
        inside = await store.get_event(event.id)
        assert inside is not None
        assert inside.title == "Renamed inside"
    committed = await store.get_event(event.id)
    assert committed is not None
    assert committed.title == "Renamed inside"
