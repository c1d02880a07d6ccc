"""Demo data for `admit demo` and `make run`: accounts and events that show every state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.domain import Event, EventStatus, Role, new_id, utcnow
from web.keys import load_or_create_keys
from web.services.container import Services
from web.settings import Settings, SettingsError
from web.wiring import open_services

DEMO_PASSWORD = "DemoPass1"  # noqa: S105 (printed for everyone: demo data only)


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    name: str
    email: str


ACCOUNTS = (
    DemoAccount(Role.ORGANIZER, "Olivia Organizer", "olivia@example.com"),
    DemoAccount(Role.ATTENDEE, "Ana Attendee", "ana@example.com"),
    DemoAccount(Role.ATTENDEE, "Ben Attendee", "ben@example.com"),
    DemoAccount(Role.DOOR_STAFF, "Dora Door", "dora@example.com"),
)


@dataclass(frozen=True)
class DemoEvent:
    title: str
    description: str
    venue: str
    days_from_now: int
    local_hour: int
    hours: int
    timezone: str
    capacity: int
    price: int
    currency: str
    category: str


EVENTS = (
    DemoEvent(
        "Sunrise Yoga in the Park",
        "An easy hour of yoga as the sun comes up.\nBring a mat and water; tea afterwards.",
        "Regent's Park, Hub lawn, London",
        3,
        7,
        1,
        "Europe/London",
        12,
        0,
        "GBP",
        "wellness",
    ),
    DemoEvent(
        "Lisbon Jazz Night",
        "Three quartets, one long night.\nDoors open at 19:00, first set at 20:00.",
        "Hot Clube de Portugal, Lisbon",
        5,
        20,
        4,
        "Europe/Lisbon",
        200,
        2500,
        "EUR",
        "music",
    ),
    DemoEvent(
        "Python Meetup: Async in Practice",
        "Talks on asyncio in production, then pizza.\nAll levels welcome.",
        "Factory Berlin, Rheinsberger Str. 76, Berlin",
        9,
        18,
        3,
        "Europe/Berlin",
        80,
        0,
        "EUR",
        "tech",
    ),
    DemoEvent(
        "Indie Film Premiere: The Long Light",
        "Premiere screening followed by a Q&A with the director.",
        "Cinema Nova, Brussels",
        14,
        19,
        3,
        "Europe/Brussels",
        150,
        1200,
        "EUR",
        "film",
    ),
    DemoEvent(
        "Street Food Festival",
        "Forty stalls, live music and a kids' corner.\nEntry ticket includes one tasting token.",
        "Pier 57, New York",
        21,
        12,
        8,
        "America/New_York",
        1000,
        800,
        "USD",
        "food",
    ),
    DemoEvent(
        "Chef's Table: Tasting Evening",
        "Seven courses at one long table.\n"
        "Four seats only: join the waiting list when they are gone.",
        "Taberna da Rua, Lisbon",
        6,
        19,
        3,
        "Europe/Lisbon",
        4,
        0,
        "EUR",
        "food",
    ),
    DemoEvent(
        "Winter Market (last season)",
        "Last season's winter market: kept to show how past events look.",
        "Old Town Square, Prague",
        -30,
        10,
        8,
        "Europe/Prague",
        300,
        0,
        "EUR",
        "market",
    ),
)


def _event(spec: DemoEvent, organizer_id: str, now: datetime) -> Event:
    zone = ZoneInfo(spec.timezone)
    day = (now + timedelta(days=spec.days_from_now)).astimezone(zone).date()
    starts = datetime(day.year, day.month, day.day, spec.local_hour, tzinfo=zone)
    return Event(
        id=new_id(),
        organizer_id=organizer_id,
        title=spec.title,
        description=spec.description,
        venue=spec.venue,
        starts_at=starts.astimezone(now.tzinfo),
        ends_at=(starts + timedelta(hours=spec.hours)).astimezone(now.tzinfo),
        timezone=spec.timezone,
        capacity=spec.capacity,
        price=spec.price,
        currency=spec.currency,
        category=spec.category,
        status=EventStatus.PUBLISHED,
        created_at=now,
    )


def _tonight(organizer_id: str, now: datetime) -> Event:
    """An event starting an hour from now, so the door scanner has open doors to try."""
    starts = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return Event(
        id=new_id(),
        organizer_id=organizer_id,
        title="Tonight: Open Mic Night",
        description="Doors are open: try the scanner at /door with Dora's account.",
        venue="The Loft, Lisbon",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        timezone="Europe/Lisbon",
        capacity=60,
        price=0,
        currency="EUR",
        category="music",
        status=EventStatus.PUBLISHED,
        created_at=now,
    )


async def _seed(services: Services) -> None:
    users = {}
    for account in ACCOUNTS:
        users[account.email] = await services.accounts.sign_up(
            account.email,
            DEMO_PASSWORD,
            account.name,
            account.role.value,
            verified=True,
            allowed_roles=tuple(Role),
        )
    organizer = users[ACCOUNTS[0].email]
    now = utcnow()
    events = [_event(spec, organizer.id, now) for spec in EVENTS]
    for event in events:
        await services.store.create_event(event)
    # Real registrations through the use case: the yoga class is almost sold out.
    ana, ben = users[ACCOUNTS[1].email], users[ACCOUNTS[2].email]
    yoga = events[0]
    tonight = _tonight(organizer.id, now)
    await services.store.create_event(tonight)
    bookings = [
        await services.registrations.register(ana, yoga.id, 4, ["Ana Attendee", "Maria", "João"]),
        await services.registrations.register(ben, yoga.id, 5, []),
        await services.registrations.register(ana, events[2].id, 1, []),
        await services.registrations.register(ana, tonight.id, 2, ["Ana Attendee", "Rui"]),
        await services.registrations.register(ben, tonight.id, 1, []),
    ]
    # The chef's table is sold out (Ana took its four seats) and Ben waits for two.
    chef = events[5]
    bookings.append(await services.registrations.register(ana, chef.id, 4, []))
    for booking in bookings:
        await services.deliverer.deliver(booking.id)
    await services.waitlist.join(ben, chef.id, 2)
    # Ana has passed Rui's ticket for tonight on to Ben (a transfer on record).
    rui = (await services.store.list_registration_tickets(bookings[3].id))[1]
    await services.transfers.transfer(ana, rui.id, ben.name, ben.email)
    dora = users[ACCOUNTS[3].email]
    for event in (tonight, yoga):
        await services.door_staff.add(organizer, event, dora.email)


def logins_text() -> str:
    lines = [f"Demo log-ins (password for each: {DEMO_PASSWORD}):"]
    lines += [f"  {a.role.value:<11} {a.email}" for a in ACCOUNTS]
    return "\n".join(lines)


async def seed_demo(settings: Settings, *, only_if_empty: bool = False) -> str:
    if settings.env == "production":
        # Demo accounts have a published password: never in a real deployment.
        raise SettingsError(
            "admit demo adds accounts whose password is published; "
            "it refuses to run with ADMIT_ENV=production."
        )
    async with open_services(settings, load_or_create_keys(settings)) as services:
        if not await services.store.is_empty():
            if only_if_empty:
                return "The database already has data; nothing added.\n" + logins_text()
            return "The database is not empty: demo data goes into an empty database only."
        await _seed(services)
    return f"Added {len(ACCOUNTS)} accounts and {len(EVENTS) + 1} events.\n" + logins_text()
