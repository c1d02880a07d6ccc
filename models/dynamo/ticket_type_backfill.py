"""Events stored before ticket types existed get their one type on first use.

Such an event item has no `ticket_type_ids`. The first operation that needs its types
(a hold, a payment, a cancellation, a release, a listing) calls `backfill_default_type`,
which writes, in one transaction, the "General admission" type item (the event's price,
no capacity of its own, and the event's seats and revenue as its counters) and the
event's list naming it. The type's id is `default_type_id(event id)`, the id that
registrations and tickets stored before types name implicitly (`Registration.seat_items`,
`ticket_from_item`), and the one the SQLite migration gives the same event.

The event's update is conditioned on the list still missing and on the seat counters
being those copied: when another writer got there first, or moved the counters, the
transaction fails and the caller reads the event again (and finds the list, or copies
again).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models.domain import default_ticket_type
from models.dynamo.base import Refused
from models.dynamo.codec import Item, event_from_item, ticket_type_item


async def backfill_default_type(store: Any, item: Item) -> None:
    event = event_from_item(item)
    kind = replace(
        default_ticket_type(event),
        seats_confirmed=event.seats_confirmed,
        seats_held=event.seats_held,
        revenue=event.revenue,
        in_use=event.seats_taken > 0 or event.registrations > 0,
    )
    events = store.t("events")
    try:
        await store.transact(
            [
                {
                    "Put": {
                        "TableName": events,
                        "Item": ticket_type_item(kind),
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                {
                    "Update": {
                        "TableName": events,
                        "Key": {"id": {"S": event.id}},
                        "UpdateExpression": "SET ticket_type_ids = :ids",
                        "ConditionExpression": (
                            "attribute_not_exists(ticket_type_ids)"
                            " AND seats_held = :held AND seats_confirmed = :confirmed"
                        ),
                        "ExpressionAttributeValues": {
                            ":ids": {"L": [{"S": kind.id}]},
                            ":held": {"N": str(event.seats_held)},
                            ":confirmed": {"N": str(event.seats_confirmed)},
                        },
                    }
                },
            ]
        )
    except Refused:
        await store.backoff(0)  # done by someone else, or the counters moved: read again
