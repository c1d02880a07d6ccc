"""The event page's waiting-list box (issue 14): what it offers the visitor, read once per
render of the page's register block (web/routes/pages.py) so every answer that re-renders
it (a refused registration, a refused join) shows the same box."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request

from models.domain import Event, TicketType
from models.waitlist import EntryStatus
from models.waitlist_rules import waitable_types
from web.auth import current_user
from web.services.container import services_of
from web.services.waitlist import EntryView

ACTIVE = (EntryStatus.WAITING, EntryStatus.OFFERED)


@dataclass(frozen=True)
class WaitlistForm:
    """A refused join's form: what was typed, the fields' problems, or why not."""

    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None


@dataclass(frozen=True)
class WaitlistBox:
    types: list[TicketType]  # the types one may wait for now (none: no box)
    choose_type: bool  # the event has several visible types: the entry names one
    most: int  # the largest quantity the form offers (the service checks the type's)
    mine: EntryView | None  # the visitor's entry still waiting or offered
    form: WaitlistForm

    @property
    def shown(self) -> bool:
        return bool(self.types) or self.mine is not None


async def waitlist_box(
    request: Request,
    event: Event,
    types: Sequence[TicketType],
    now: datetime,
    form: object = None,
) -> WaitlistBox:
    user = current_user(request)
    mine = None
    if user is not None:
        entries = await services_of(request).waitlist.mine_for_event(user, event.id)
        mine = next((view for view in entries if view.status in ACTIVE), None)
    waitable = waitable_types(event, types, now)
    most = max((min(k.per_registration(event), event.max_per_account) for k in waitable), default=1)
    return WaitlistBox(
        types=waitable,
        choose_type=len([k for k in types if not k.hidden]) > 1,
        most=most,
        mine=mine,
        form=form if isinstance(form, WaitlistForm) else WaitlistForm(),
    )
