"""Users, one-time codes and failed log-ins on SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from models.domain import CodePurpose, OneTimeCode, Role, User
from models.errors import EmailTaken
from models.sqlite.base import SqliteBase
from models.sqlite.point_reads import row_where
from models.sqlite.rows import roles_from_text, roles_to_text, user_from_row, utc
from models.sqlite.tables import CodeRow, LoginFailureRow, UserRow


def _code_key(email: str, purpose: CodePurpose) -> str:
    return f"{purpose.value}:{email}"


class SqliteUsers(SqliteBase):
    async def is_empty(self) -> bool:
        return not await UserRow.exists().run()

    async def create_user(self, user: User, password_hash: str | None) -> None:
        row = UserRow(
            id=user.id,
            email=user.email,
            name=user.name,
            roles=roles_to_text(user.roles),
            email_verified=user.email_verified,
            password_hash=password_hash,
            created_at=user.created_at,
        )
        try:
            async with self.write_transaction():
                await UserRow.insert(row).run()
        except sqlite3.IntegrityError as exc:
            raise EmailTaken() from exc

    async def get_user(self, user_id: str) -> User | None:
        row = await row_where(UserRow, UserRow.id, user_id)
        return user_from_row(row) if row else None

    async def get_user_by_email(self, email: str) -> User | None:
        row = await UserRow.select().where(UserRow.email == email).first().run()
        return user_from_row(row) if row else None

    async def mark_email_verified(self, user_id: str) -> None:
        async with self.write_transaction():
            await UserRow.update({UserRow.email_verified: True}).where(UserRow.id == user_id).run()

    async def add_role(self, user_id: str, role: Role) -> None:
        async with self.write_transaction():
            row = await UserRow.select(UserRow.roles).where(UserRow.id == user_id).first().run()
            if row is None:
                return
            roles = roles_from_text(row["roles"]) | {role}
            await (
                UserRow.update({UserRow.roles: roles_to_text(roles)})
                .where(UserRow.id == user_id)
                .run()
            )

    async def get_password_hash(self, user_id: str) -> str | None:
        row = await UserRow.select(UserRow.password_hash).where(UserRow.id == user_id).first().run()
        return row["password_hash"] if row else None

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        async with self.write_transaction():
            await (
                UserRow.update({UserRow.password_hash: password_hash})
                .where(UserRow.id == user_id)
                .run()
            )

    # -- one-time codes -----------------------------------------------------------------

    async def put_code(self, code: OneTimeCode) -> None:
        key = _code_key(code.email, code.purpose)
        async with self.write_transaction():
            await CodeRow.delete().where(CodeRow.key == key).run()
            await CodeRow.insert(
                CodeRow(
                    key=key,
                    code_hash=code.code_hash,
                    expires_at=code.expires_at,
                    attempts_left=code.attempts_left,
                )
            ).run()

    async def get_code(self, email: str, purpose: CodePurpose) -> OneTimeCode | None:
        row = await CodeRow.select().where(CodeRow.key == _code_key(email, purpose)).first().run()
        if row is None:
            return None
        return OneTimeCode(
            email=email,
            purpose=purpose,
            code_hash=row["code_hash"],
            expires_at=utc(row["expires_at"]),
            attempts_left=row["attempts_left"],
        )

    async def use_code_attempt(self, email: str, purpose: CodePurpose) -> int:
        key = _code_key(email, purpose)
        async with self.write_transaction():
            rows = (
                await CodeRow.update({CodeRow.attempts_left: CodeRow.attempts_left - 1})
                .where((CodeRow.key == key) & (CodeRow.attempts_left > 0))
                .returning(CodeRow.attempts_left)
                .run()
            )
        return rows[0]["attempts_left"] if rows else -1

    async def delete_code(self, email: str, purpose: CodePurpose) -> None:
        async with self.write_transaction():
            await CodeRow.delete().where(CodeRow.key == _code_key(email, purpose)).run()

    # -- spent codes and attempts -------------------------------------------------------

    async def purge_spent(self, codes_expired_before: datetime, failures_before: datetime) -> int:
        async with self.write_transaction():
            codes = (
                await CodeRow.delete()
                .where(CodeRow.expires_at < codes_expired_before)
                .returning(CodeRow.key)
                .run()
            )
            failures = (
                await LoginFailureRow.delete()
                .where(LoginFailureRow.at < failures_before)
                .returning(LoginFailureRow.id)
                .run()
            )
        return len(codes) + len(failures)
