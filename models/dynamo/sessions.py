"""Sessions and token generations on DynamoDB.

Sessions: one item per session in the `sessions` table (key `id`, the hash of the
cookie's secret), GSI `by_user` (user_id, created_at) for the sessions page and for
ending them all, and TTL on `expires_ttl`. TTL deletes lazily (within days), so every
read also compares `expires_at` itself. The GSI is eventually consistent: a session
started a moment before "log out everywhere" may be missed by its query, which is why
the generation on the user item (one strongly consistent counter) decides, and deleting
the records is what makes the sessions page tell the truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain import User
from models.dynamo.base import DynamoBase
from models.dynamo.codec import Item, from_iso, from_item, iso, to_item, user_from_item
from models.errors import NotFound
from models.sessions import Session


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _session_item(session: Session) -> Item:
    return to_item(
        {
            "id": session.id,
            "user_id": session.user_id,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
            "expires_at": session.expires_at,
            "user_agent": session.user_agent,
            "generation": session.generation,
            "expires_ttl": _epoch(session.expires_at),
        }
    )


def _session(item: Item) -> Session:
    values = from_item(item)
    return Session(
        id=values["id"],
        user_id=values["user_id"],
        created_at=from_iso(values["created_at"]),
        last_seen_at=from_iso(values["last_seen_at"]),
        expires_at=from_iso(values["expires_at"]),
        user_agent=values.get("user_agent", ""),
        generation=int(values.get("generation", 0)),
    )


class DynamoSessions(DynamoBase):
    async def create_session(self, session: Session) -> None:
        await self.client.put_item(
            TableName=self.t("sessions"),
            Item=_session_item(session),
            ConditionExpression="attribute_not_exists(id)",
        )

    async def get_session(self, session_id: str, now: datetime) -> Session | None:
        item = await self.get("sessions", {"id": session_id})
        if item is None:
            return None
        session = _session(item)
        return None if session.is_expired(now) else session

    async def touch_session(self, session_id: str, now: datetime, expires_at: datetime) -> bool:
        answer = await self.conditional(
            "update_item",
            TableName=self.t("sessions"),
            Key={"id": {"S": session_id}},
            UpdateExpression="SET last_seen_at = :now, expires_at = :until, expires_ttl = :ttl",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={
                ":now": {"S": iso(now)},
                ":until": {"S": iso(expires_at)},
                ":ttl": {"N": str(_epoch(expires_at))},
            },
        )
        return answer is not None

    async def _user_session_items(self, user_id: str) -> list[Item]:
        return [
            item
            async for item in self.query_all(
                "sessions",
                IndexName="by_user",
                KeyConditionExpression="user_id = :user",
                ExpressionAttributeValues={":user": {"S": user_id}},
            )
        ]

    async def list_user_sessions(self, user_id: str, now: datetime) -> list[Session]:
        sessions = [_session(item) for item in await self._user_session_items(user_id)]
        live = [s for s in sessions if not s.is_expired(now)]
        return sorted(live, key=lambda s: s.last_seen_at, reverse=True)

    async def delete_session(self, session_id: str, user_id: str | None = None) -> bool:
        condition = "attribute_exists(id)"
        values: dict[str, Any] = {}
        if user_id is not None:
            condition += " AND user_id = :user"
            values[":user"] = {"S": user_id}
        answer = await self.conditional(
            "delete_item",
            TableName=self.t("sessions"),
            Key={"id": {"S": session_id}},
            ConditionExpression=condition,
            **({"ExpressionAttributeValues": values} if values else {}),
        )
        return answer is not None

    async def delete_user_sessions(self, user_id: str, except_id: str | None = None) -> int:
        ended = 0
        for item in await self._user_session_items(user_id):
            session_id = item["id"]["S"]
            if session_id != except_id and await self.delete_session(session_id, user_id):
                ended += 1
        return ended

    async def purge_expired_sessions(self, now: datetime) -> int:
        return 0  # the sessions table expires its items by TTL (expires_ttl)

    async def revoke_user_tokens(self, user_id: str, now: datetime) -> User:
        answer = await self.conditional(
            "update_item",
            TableName=self.t("users"),
            Key={"id": {"S": user_id}},
            UpdateExpression="ADD token_generation :one SET tokens_valid_after = :now",
            ConditionExpression="attribute_exists(email)",
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"S": iso(now)}},
            ReturnValues="ALL_NEW",
        )
        user = user_from_item(answer["Attributes"]) if answer else None
        if user is None:
            raise NotFound()
        return user
