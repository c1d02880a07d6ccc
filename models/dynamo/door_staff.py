"""Door staff taken back, and door staff invited by email, on DynamoDB.

An invitation is an item of the door_staff table whose sort key is `invite:<email>`
instead of a user id (user ids never start with that), so an event's staff and
invitations are one Query, and an email's invitations one Query of the `by_user` index;
no table of its own to provision, alarm and grant.
"""

from __future__ import annotations

from models.dynamo.base import DynamoBase
from models.dynamo.codec import Item, from_iso, iso
from models.dynamo.seats import s
from models.tickets import DoorInvitation

INVITE = "invite:"


def is_invitation(item: Item) -> bool:
    return item["user_id"]["S"].startswith(INVITE)


def _invitation(item: Item) -> DoorInvitation:
    return DoorInvitation(
        id=item["id"]["S"],
        event_id=item["event_id"]["S"],
        email=item["user_id"]["S"].removeprefix(INVITE),
        created_at=from_iso(item["created_at"]["S"]),
    )


class DynamoDoorStaff(DynamoBase):
    async def remove_door_staff(self, event_id: str, user_id: str) -> bool:
        if user_id.startswith(INVITE):
            return False
        return await self._delete(event_id, user_id)

    async def _delete(self, event_id: str, sort_key: str) -> bool:
        response = await self.conditional(
            "delete_item",
            TableName=self.t("door_staff"),
            Key={"event_id": s(event_id), "user_id": s(sort_key)},
            ConditionExpression="attribute_exists(event_id)",
        )
        return response is not None

    async def add_door_invitation(self, invitation: DoorInvitation) -> DoorInvitation:
        key = {"event_id": s(invitation.event_id), "user_id": s(INVITE + invitation.email)}
        added = await self.conditional(
            "put_item",
            TableName=self.t("door_staff"),
            Item={
                **key,
                "id": s(invitation.id),
                "created_at": s(iso(invitation.created_at)),
            },
            ConditionExpression="attribute_not_exists(event_id)",
        )
        if added is not None:
            return invitation
        item = await self.get(
            "door_staff", {"event_id": invitation.event_id, "user_id": INVITE + invitation.email}
        )
        return _invitation(item) if item else invitation

    async def list_door_invitations(self, event_id: str) -> list[DoorInvitation]:
        invitations = [
            _invitation(item)
            async for item in self.query_all(
                "door_staff",
                KeyConditionExpression="event_id = :e AND begins_with(user_id, :invite)",
                ExpressionAttributeValues={":e": s(event_id), ":invite": s(INVITE)},
                ConsistentRead=True,
            )
        ]
        return sorted(invitations, key=lambda i: (i.created_at, i.id))

    async def door_invitations_for(self, email: str) -> list[DoorInvitation]:
        # The index holds keys only: read each invitation (an email has few).
        keys = [
            item
            async for item in self.query_all(
                "door_staff",
                IndexName="by_user",
                KeyConditionExpression="user_id = :u",
                ExpressionAttributeValues={":u": s(INVITE + email)},
            )
        ]
        invitations = []
        for key in keys:
            item = await self.get(
                "door_staff", {"event_id": key["event_id"]["S"], "user_id": INVITE + email}
            )
            if item is not None:
                invitations.append(_invitation(item))
        return sorted(invitations, key=lambda i: (i.created_at, i.id))

    async def remove_door_invitation(self, event_id: str, email: str) -> bool:
        return await self._delete(event_id, INVITE + email)
