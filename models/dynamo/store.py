"""DynamoStore: the Store on twelve DynamoDB tables through aiobotocore (see __init__)."""

from __future__ import annotations

from models.dynamo.attempts import DynamoAttempts
from models.dynamo.door_staff import DynamoDoorStaff
from models.dynamo.events import DynamoEvents
from models.dynamo.messages import DynamoMessages
from models.dynamo.partial_refunds import DynamoPartialRefunds
from models.dynamo.payments import DynamoPayments
from models.dynamo.promo_codes import DynamoPromoCodes
from models.dynamo.questions import DynamoQuestions
from models.dynamo.sessions import DynamoSessions
from models.dynamo.ticket_types import DynamoTicketTypes
from models.dynamo.tickets import DynamoTickets
from models.dynamo.transfers import DynamoTransfers
from models.dynamo.users import DynamoUsers
from models.dynamo.waitlist import DynamoWaitlist
from models.store import Store


class DynamoStore(
    DynamoUsers,
    DynamoAttempts,
    DynamoEvents,
    DynamoTicketTypes,
    DynamoPayments,
    DynamoPartialRefunds,
    DynamoTickets,
    DynamoDoorStaff,
    DynamoSessions,
    DynamoQuestions,
    DynamoPromoCodes,
    DynamoWaitlist,  # before DynamoMessages: its waiting accounts are real
    DynamoMessages,
    DynamoTransfers,
    Store,
):
    """`DynamoStore(tables, endpoint_url=None, region="eu-west-1", credentials=None)`:
    `tables` maps the logical names of models/dynamo/tables.py (users, codes,
    login_failures, events, registrations, tickets, checkins, door_staff, webhook_events,
    sessions, outbox) to the real table names (ADMIT_DYNAMODB_TABLES). `open()` creates the client
    (a missing table raises `StoreNotReady` at its first use); `close()` closes it."""
