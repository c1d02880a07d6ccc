"""The shared table of check-in cases (models/checkin_cases.json), read into what the
server's decision (`models.tickets.decide_check_in`) and the door phone's
(`decideCheckIn` in static/js/door-offline.js) each take. The phone gets the door hours
as the offline list gives them (`models.tickets.door_hours`), not the event's fields."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from models.domain import Event
from models.tickets import Scanner, Ticket, TicketStatus, door_hours
from tests.store_contract import make_event

TABLE = Path(__file__).parent.parent / "models" / "checkin_cases.json"


@dataclass(frozen=True)
class CheckinCase:
    name: str
    event: Event
    grace: timedelta
    scanner: Scanner
    code_ticket_id: str | None
    code_event_id: str | None
    ticket: Ticket | None
    ticket_state: str  # valid | used | void | missing
    now: datetime
    expected: str  # a CheckinResult value, or "forbidden"
    offline: str  # what the phone answers (the same but where its list knows less)
    code_generation: int = 0  # the generation the code was signed for

    def for_the_phone(self) -> dict[str, Any]:
        """The arguments of `decideCheckIn` (times in milliseconds, as Date.now())."""
        hours = door_hours(self.event, self.grace)
        claims = None
        if self.code_ticket_id is not None:
            claims = {
                "ticketId": self.code_ticket_id,
                "eventId": self.code_event_id,
                "generation": self.code_generation,
            }
        status = None if self.ticket_state == "missing" else self.ticket_state
        return {
            "name": self.name,
            "scanner": self.scanner.value,
            "claims": claims,
            "eventId": self.event.id,
            "status": status,
            "generation": self.ticket.code_generation if self.ticket else None,
            "opensAt": _ms(hours.opens_at),
            "closesAt": _ms(hours.closes_at),
            "now": _ms(self.now),
        }


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def load_cases() -> list[CheckinCase]:
    table = json.loads(TABLE.read_text())
    cases = []
    for raw in table["cases"]:
        fields = raw.get("event", table["event"])
        starts = _time(fields["starts_at"])
        ends = _time(fields["ends_at"])
        assert starts is not None
        assert ends is not None
        event = replace(
            make_event("organizer"),
            id=fields["id"],
            starts_at=starts,
            ends_at=ends,
            doors_open_at=_time(fields["doors_open_at"]),
        )
        other = table["other_event_id"]
        ticket_id = table["ticket_id"]
        code_event = {"this_event": event.id, "other_event": other, "not_ours": None}[raw["code"]]
        code_ticket = None if raw["code"] == "not_ours" else ticket_id
        ticket = None
        if raw["ticket"] != "missing":
            ticket = Ticket(
                id=ticket_id,
                event_id=event.id if raw["code"] != "other_event" else other,
                registration_id="r",
                user_id="u",
                attendee_name="Ann",
                buyer_name="Ann",
                seat_no=1,
                seats=1,
                status=TicketStatus(raw["ticket"]),
                created_at=starts - timedelta(days=9),
                code_generation=raw.get("ticket_generation", 0),
            )
        cases.append(
            CheckinCase(
                name=raw["name"],
                event=event,
                grace=timedelta(seconds=raw.get("grace_seconds", table["grace_seconds"])),
                scanner=Scanner(raw["scanner"]),
                code_ticket_id=code_ticket,
                code_event_id=code_event,
                ticket=ticket,
                ticket_state=raw["ticket"],
                now=datetime.fromisoformat(raw["now"]),
                expected=raw["expected"],
                offline=raw.get("offline", raw["expected"]),
                code_generation=raw.get("code_generation", 0),
            )
        )
    return cases
