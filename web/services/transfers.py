"""Transfer use cases (API.md "Transfers"): a holder passes a ticket on, the new holder
is mailed it, the organizer reads the record. The store decides and writes the transfer
atomically (`models.transfers`); this module finds the new holder's account, and mails."""

from __future__ import annotations

from dataclasses import replace

from models.domain import User, new_id, normalize_email, utcnow
from models.errors import AdmitError, ValidationFailed
from models.outbox import DeliveryJob
from models.store import Store
from models.tickets import TicketStatus
from models.transfers import Transfer, transfer_problems, transfer_refusal
from web.adapters.mail.port import Attachment, Mailer
from web.calendar_file import ticket_ics
from web.mails import plain_mail
from web.services.delivery import BeforeMail
from web.services.events import Events
from web.services.tickets import Tickets, TicketView


class Transfers:
    def __init__(
        self, store: Store, events: Events, tickets: Tickets, mailer: Mailer, base_url: str
    ) -> None:
        self.store = store
        self.events = events
        self.tickets = tickets
        self.mailer = mailer
        self.base_url = base_url

    async def transfer(self, holder: User, ticket_id: str, name: str, email: str) -> TicketView:
        """Pass `ticket_id` on to `name` at `email`: the ticket with its new code. The
        account with that (verified) address receives it; with none, only the mail does."""
        if problems := transfer_problems(name, email, holder.email):
            raise ValidationFailed(problems)
        address = normalize_email(email)
        account = await self.store.get_user_by_email(address)
        # An address nobody proved is theirs must not catch someone else's ticket.
        receiver = account.id if account and account.email_verified else ""
        now = utcnow()
        transfer = Transfer(
            id=new_id(),
            ticket_id=ticket_id,
            event_id="",  # the store fills in the ticket's
            by_user_id=holder.id,
            to_name=" ".join(name.split()),
            to_email=address,
            to_user_id=receiver,
            at=now,
        )
        ticket, _ = await self.store.transfer_ticket(transfer, now)
        event = await self.store.get_event(ticket.event_id)
        assert event is not None
        return self.tickets.view(ticket, event)

    async def form(self, holder: User, ticket_id: str) -> tuple[TicketView, AdmitError | None]:
        """The ticket `holder` holds (else NotFound) and why it may not be passed on now
        (None: it may), for the page to say so instead of offering a form in vain."""
        view = await self.tickets.held(holder, ticket_id)
        return view, transfer_refusal(view.event, view.ticket, holder.id, utcnow())

    async def for_event(self, organizer: User, event_id: str) -> list[Transfer]:
        """Every transfer of the organizer's event, newest first."""
        event = await self.events.owned(organizer, event_id)
        return await self.store.list_event_transfers(event.id)

    async def run_mail(self, job: DeliveryJob, before_mail: BeforeMail) -> None:
        """The `transfer` job: mail the new holder the ticket, its PDF and a calendar
        entry. A ticket passed on again since (or voided) is not mailed: the code this
        transfer gave no longer admits, and the later transfer mails its own."""
        transfer = await self.store.get_transfer(job.subject)
        if transfer is None:
            return
        ticket = await self.store.get_ticket(transfer.ticket_id)
        if (
            ticket is None
            or ticket.code_generation != transfer.generation
            or ticket.status is TicketStatus.VOID
        ):
            return
        event = await self.store.get_event(ticket.event_id)
        assert event is not None
        view = self.tickets.view(ticket, event)
        pdf = await self.tickets.ensure_pdf(view)
        when = event.local_starts_at.strftime("%A %d %B %Y, %H:%M") + f" ({event.timezone})"
        paragraphs = [
            f"Hello {transfer.to_name},",
            f"{transfer.from_name} passed a ticket on to you: {event.title}, {when}, "
            f"at {event.venue}.",
            "Your ticket is attached as a PDF: show its QR code at the door. It admits one "
            "person, once. The code the ticket had before no longer works.",
        ]
        if transfer.to_user_id:
            paragraphs.append(f"It is also under My tickets: {self.base_url}/my/tickets")
        else:
            paragraphs.append(
                f"Sign up with this address ({self.base_url}/signup) and it shows under "
                "My tickets too, ready to open without a connection."
            )
        mail = replace(
            plain_mail(transfer.to_email, f"A ticket for you: {event.title}", paragraphs),
            attachments=(
                Attachment(pdf.filename, pdf.content_type, pdf.data),
                ticket_ics(event, ticket, self.base_url),
            ),
        )
        await before_mail()
        await self.mailer.send(mail)
