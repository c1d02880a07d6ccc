"""Users, one-time codes and failed log-ins on DynamoDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.domain import CodePurpose, OneTimeCode, Role, User
from models.dynamo.base import RETRIES, DynamoBase, Refused
from models.dynamo.codec import from_iso, iso, user_from_item, user_item
from models.errors import EmailTaken


def _code_key(email: str, purpose: CodePurpose) -> str:
    return f"{purpose.value}:{email}"


def _guard_id(email: str) -> str:
    return f"email#{email}"


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


class DynamoUsers(DynamoBase):
    async def is_empty(self) -> bool:
        # The one Scan of the store, and not on a request path: the demo seeder asks it
        # once at start-up, and Limit=1 reads one item.
        response = await self.client.scan(TableName=self.t("users"), Limit=1)
        return not response.get("Items")

    async def purge_spent(self, codes_expired_before: datetime, failures_before: datetime) -> int:
        # The codes and login_failures tables expire their items by TTL (expires_ttl).
        return 0

    async def create_user(self, user: User, password_hash: str | None) -> None:
        users = self.t("users")
        items = [
            {
                "Put": {
                    "TableName": users,
                    "Item": user_item(user, password_hash),
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
            {
                "Put": {
                    "TableName": users,
                    "Item": {"id": {"S": _guard_id(user.email)}, "user_id": {"S": user.id}},
                    "ConditionExpression": "attribute_not_exists(id)",
                }
            },
        ]
        for attempt in range(RETRIES):
            try:
                await self.transact(items)
                return
            except Refused as refused:
                if refused.failed(1) or refused.failed(0):
                    raise EmailTaken() from refused
                await self.backoff(attempt)  # collided with a concurrent sign-up: retry
        raise EmailTaken()

    async def get_user(self, user_id: str) -> User | None:
        item = await self.get("users", {"id": user_id})
        return user_from_item(item) if item else None

    async def get_user_by_email(self, email: str) -> User | None:
        response = await self.client.query(
            TableName=self.t("users"),
            IndexName="by_email",
            KeyConditionExpression="email = :email",
            ExpressionAttributeValues={":email": {"S": email}},
            Limit=1,
        )
        items = response.get("Items", ())
        return user_from_item(items[0]) if items else None

    async def _update_user(self, user_id: str, expression: str, values: dict[str, Any]) -> None:
        await self.conditional(
            "update_item",
            TableName=self.t("users"),
            Key={"id": {"S": user_id}},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(email)",
            ExpressionAttributeValues=values,
            **({"ExpressionAttributeNames": {"#roles": "roles"}} if "#roles" in expression else {}),
        )

    async def mark_email_verified(self, user_id: str) -> None:
        await self._update_user(user_id, "SET email_verified = :yes", {":yes": {"BOOL": True}})

    async def add_role(self, user_id: str, role: Role) -> None:
        await self._update_user(user_id, "ADD #roles :role", {":role": {"SS": [role.value]}})

    async def get_password_hash(self, user_id: str) -> str | None:
        item = await self.get("users", {"id": user_id})
        if not item or "password_hash" not in item:
            return None
        return item["password_hash"]["S"]

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._update_user(
            user_id, "SET password_hash = :hash", {":hash": {"S": password_hash}}
        )

    # -- one-time codes -----------------------------------------------------------------

    async def put_code(self, code: OneTimeCode) -> None:
        await self.client.put_item(
            TableName=self.t("codes"),
            Item={
                "key": {"S": _code_key(code.email, code.purpose)},
                "code_hash": {"S": code.code_hash},
                "expires_at": {"S": iso(code.expires_at)},
                "attempts_left": {"N": str(code.attempts_left)},
                "expires_ttl": {"N": _epoch(code.expires_at + timedelta(days=1))},
            },
        )

    async def get_code(self, email: str, purpose: CodePurpose) -> OneTimeCode | None:
        item = await self.get("codes", {"key": _code_key(email, purpose)})
        if item is None:
            return None
        return OneTimeCode(
            email=email,
            purpose=purpose,
            code_hash=item["code_hash"]["S"],
            expires_at=from_iso(item["expires_at"]["S"]),
            attempts_left=int(item["attempts_left"]["N"]),
        )

    async def use_code_attempt(self, email: str, purpose: CodePurpose) -> int:
        for attempt in range(20):
            try:
                response = await self.conditional(
                    "update_item",
                    TableName=self.t("codes"),
                    Key={"key": {"S": _code_key(email, purpose)}},
                    UpdateExpression="SET attempts_left = attempts_left - :one",
                    ConditionExpression="attempts_left > :zero",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"}},
                    ReturnValues="UPDATED_NEW",
                )
            except Refused:
                await self.backoff(attempt)
                continue
            if response is None:
                return -1
            return int(response["Attributes"]["attempts_left"]["N"])
        return -1

    async def delete_code(self, email: str, purpose: CodePurpose) -> None:
        await self.client.delete_item(
            TableName=self.t("codes"), Key={"key": {"S": _code_key(email, purpose)}}
        )

    # -- failed log-ins -----------------------------------------------------------------
