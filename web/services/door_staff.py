"""Door staff of an event: added by email, listed, taken back; invitations to addresses
no account uses yet, applied when someone signs up with that address and verifies it.

Adding answers the same whether or not the address has an account (no account
enumeration by organizers, who may sign up freely): both get a mail, both answers carry
an entry `{id, email}`, and the list shows every entry alike (ordered by email, without
names). An entry's `id` is the account's id, or the invitation's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from models.domain import Event, Role, User, email_problem, new_id, normalize_email, utcnow
from models.errors import NotFound, ValidationFailed
from models.store import Store
from models.tickets import DoorInvitation
from web.adapters.identity.port import Identity
from web.adapters.mail.port import Mail, Mailer
from web.mails import plain_mail

log = logging.getLogger("admit")


@dataclass(frozen=True)
class DoorStaffEntry:
    id: str  # what DELETE .../door-staff/{id} takes
    email: str


class DoorStaff:
    def __init__(self, store: Store, identity: Identity, mailer: Mailer, base_url: str) -> None:
        self.store = store
        self.identity = identity
        self.mailer = mailer
        self.base_url = base_url

    async def add(self, organizer: User, event: Event, email: str) -> DoorStaffEntry:
        """Give `email` door access to `event` now if it has an account, else when one is
        made and verified. Mails them either way."""
        _owned(organizer, event)
        if not email.strip():
            raise ValidationFailed({"email": "Enter the email address of the person to add."})
        if problem := email_problem(email):
            raise ValidationFailed({"email": problem})
        address = normalize_email(email)
        staff = await self.store.get_user_by_email(address)
        if staff is not None:
            await self.store.add_door_staff(event.id, staff.id, utcnow())
            if not staff.has_role(Role.DOOR_STAFF):
                await self.identity.grant_role(staff, Role.DOOR_STAFF)
            entry = DoorStaffEntry(staff.id, staff.email)
            mail = self._access_mail(address, event, organizer)
        else:
            invited = await self.store.add_door_invitation(
                DoorInvitation(new_id(), event.id, address, utcnow())
            )
            entry = DoorStaffEntry(invited.id, invited.email)
            mail = self._invitation_mail(address, event, organizer)
        await self.mailer.send(mail)
        return entry

    async def entries(self, organizer: User, event: Event) -> list[DoorStaffEntry]:
        _owned(organizer, event)
        entries = [
            DoorStaffEntry(invitation.id, invitation.email)
            for invitation in await self.store.list_door_invitations(event.id)
        ]
        for user_id in await self.store.list_door_staff(event.id):
            user = await self.store.get_user(user_id)
            if user is not None:
                entries.append(DoorStaffEntry(user.id, user.email))
        return sorted(entries, key=lambda entry: (entry.email, entry.id))

    async def entry(self, organizer: User, event: Event, entry_id: str) -> DoorStaffEntry:
        for entry in await self.entries(organizer, event):
            if entry.id == entry_id:
                return entry
        raise NotFound("This person is not door staff of this event.")

    async def remove(self, organizer: User, event: Event, entry_id: str) -> DoorStaffEntry:
        """Take back an account's access, or withdraw an invitation. A phone of theirs
        that is still open can no longer validate, search or fetch the offline list."""
        entry = await self.entry(organizer, event, entry_id)
        if not await self.store.remove_door_staff(event.id, entry.id):
            await self.store.remove_door_invitation(event.id, entry.email)
        return entry

    async def accept_invitations(self, user: User) -> list[str]:
        """Once `user` has shown they receive mail at their address (verified, or made
        verified): turn the invitations to it into door access. Returns the event ids."""
        if not user.email_verified:
            return []
        invitations = await self.store.door_invitations_for(user.email)
        for invitation in invitations:
            # Access first, then the invitation goes: a failure in between leaves an
            # invitation that a later verification applies again (adding is idempotent).
            await self.store.add_door_staff(invitation.event_id, user.id, utcnow())
            await self.store.remove_door_invitation(invitation.event_id, invitation.email)
        if invitations and not user.has_role(Role.DOOR_STAFF):
            await self.identity.grant_role(user, Role.DOOR_STAFF)
        if invitations:
            log.info("account %s took up %d door invitations", user.id, len(invitations))
        return [invitation.event_id for invitation in invitations]

    def _access_mail(self, to: str, event: Event, organizer: User) -> Mail:
        return plain_mail(
            to,
            f"You can check tickets for {event.title}",
            [
                f"{organizer.name} added you to the door staff of {event.title}.",
                f"Open {self.base_url}/door/{event.id} on your phone, logged in with this "
                "address, to scan tickets while doors are open.",
            ],
        )

    def _invitation_mail(self, to: str, event: Event, organizer: User) -> Mail:
        return plain_mail(
            to,
            f"You can check tickets for {event.title}",
            [
                f"{organizer.name} added you to the door staff of {event.title}.",
                f"Create your Admit account with this address at "
                f"{self.base_url}/signup?email={quote(to)} and confirm it with the code we "
                "mail you; then open "
                f"{self.base_url}/door/{event.id} to scan tickets while doors are open.",
            ],
        )


def _owned(organizer: User, event: Event) -> None:
    if event.organizer_id != organizer.id:
        raise NotFound("This event does not exist.")
