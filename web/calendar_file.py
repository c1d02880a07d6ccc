"""An .ics file for a confirmed registration, so the event lands in the phone's calendar."""

from __future__ import annotations

from models.domain import Event, Registration, utcnow
from web.adapters.mail.port import Attachment


def event_ics(event: Event, registration: Registration, base_url: str) -> Attachment:
    # Imported here: only confirmation mails need it, and it costs the cold start 25 ms.
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    calendar = Calendar()
    calendar.add("prodid", "-//Admit//Tickets//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    entry.add("uid", f"{registration.id}@admit")
    entry.add("dtstamp", utcnow())
    # UTC times: every calendar shows them in the phone's own zone, correctly.
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("location", event.venue)
    entry.add("url", f"{base_url}/my/registrations/{registration.id}")
    entry.add("description", f"{registration.quantity} ticket(s). {base_url}/my/tickets")
    calendar.add_component(entry)
    return Attachment("event.ics", "text/calendar", calendar.to_ical())
