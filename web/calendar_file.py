"""An .ics file for a confirmed registration, so the event lands in the phone's calendar."""

from __future__ import annotations

from models.domain import Event, Registration, utcnow
from models.tickets import Ticket
from web.adapters.mail.port import Attachment


def event_ics(event: Event, registration: Registration, base_url: str) -> Attachment:
    return _ics(
        event,
        uid=f"{registration.id}@admit",
        url=f"{base_url}/my/registrations/{registration.id}",
        description=f"{registration.quantity} ticket(s). {base_url}/my/tickets",
    )


def ticket_ics(event: Event, ticket: Ticket, base_url: str) -> Attachment:
    """The entry as its ticket's holder sees it. The registration's UID: added from the
    ticket page after the mail or the confirmation page, it updates the same entry."""
    return _ics(
        event,
        uid=f"{ticket.registration_id}@admit",
        url=f"{base_url}/tickets/{ticket.id}",
        description=f"{ticket.seat_label}: {ticket.attendee_name}. {base_url}/tickets/{ticket.id}",
    )


def _ics(event: Event, *, uid: str, url: str, description: str) -> Attachment:
    # Imported here: only mails and calendar links need it, and it costs the cold start 25 ms.
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    calendar = Calendar()
    calendar.add("prodid", "-//Admit//Tickets//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", uid)
    entry.add("dtstamp", utcnow())
    # UTC times: every calendar shows them in the phone's own zone, correctly.
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", event.venue)
    entry.add("url", url)
    entry.add("description", description)
    calendar.add_component(entry)
    return Attachment("event.ics", "text/calendar", calendar.to_ical())
