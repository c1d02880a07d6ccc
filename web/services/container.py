"""The use cases one app instance serves, built once from its adapters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.store import Store
from web.adapters.aws_clients import AwsClients
from web.adapters.files.port import Files
from web.adapters.identity.port import Identity
from web.adapters.mail.port import Mailer
from web.services.accounts import Accounts
from web.services.delivery import Deliverer, Delivery
from web.services.door import Door
from web.services.door_staff import DoorStaff
from web.services.events import Events
from web.services.exports import Exports
from web.services.figures import Figures
from web.services.messages import Messages
from web.services.payments import Payments
from web.services.promo_codes import PromoCodes
from web.services.questions import Questions
from web.services.registrations import Registrations
from web.services.sessions import Sessions
from web.services.ticket_types import TicketTypes
from web.services.tickets import Tickets
from web.services.transfers import Transfers
from web.services.waitlist import Waitlist

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection


@dataclass(frozen=True)
class Services:
    aws: AwsClients
    store: Store
    mailer: Mailer
    files: Files
    identity: Identity
    accounts: Accounts
    events: Events
    figures: Figures
    ticket_types: TicketTypes
    questions: Questions
    promo_codes: PromoCodes
    registrations: Registrations
    exports: Exports
    tickets: Tickets
    door: Door
    door_staff: DoorStaff
    deliverer: Deliverer  # renders and mails one registration's tickets (a job's work)
    delivery: Delivery  # runs the outbox's jobs here, after answers and on the clock, or not
    payments: Payments
    sessions: Sessions
    messages: Messages
    waitlist: Waitlist
    transfers: Transfers


def services_of(connection: HTTPConnection) -> Services:
    """The services the app's lifespan made, as every handler reaches them."""
    return connection.state.services
