"""The mails Admit sends, as plain-text and HTML parts (no I/O here)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from models.domain import Event, Registration
from web.adapters.mail.port import Mail


def _code_mail(to: str, subject: str, intro: list[str], code: str, outro: list[str]) -> Mail:
    text = "\n\n".join([*intro, f"    {code}", *outro]) + "\n"
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in intro)
    paragraphs += '<p style="font:bold 28px monospace;letter-spacing:6px">' + escape(code) + "</p>"
    paragraphs += "".join(f"<p>{escape(line)}</p>" for line in outro)
    html = f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'
    return Mail(to=to, subject=subject, text=text, html=html)


def verification_mail(to: str, name: str, code: str, minutes: int, base_url: str) -> Mail:
    return _code_mail(
        to,
        f"Your Admit code: {code}",
        [f"Hello {name},", f"Your Admit verification code (valid for {minutes} minutes):"],
        code,
        [
            f"Enter it at {base_url}/verify?email={quote(to)} to finish creating your account.",
            "If you did not sign up for Admit, ignore this mail.",
        ],
    )


def reset_mail(to: str, code: str, minutes: int, base_url: str) -> Mail:
    return _code_mail(
        to,
        "Reset your Admit password",
        [
            f"Someone asked to reset the password of the Admit account for {to}.",
            f"Your reset code (valid for {minutes} minutes):",
        ],
        code,
        [
            f"Enter it at {base_url}/password-reset/confirm?email={quote(to)}",
            "If it was not you, ignore this mail: your password stays as it is.",
        ],
    )


def plain_mail(to: str, subject: str, paragraphs: list[str]) -> Mail:
    text = "\n\n".join(paragraphs) + "\n"
    body = "".join(f"<p>{escape(line)}</p>" for line in paragraphs)
    html = f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'
    return Mail(to=to, subject=subject, text=text, html=html)


def _when(event: Event) -> str:
    return event.local_starts_at.strftime("%A %d %B %Y, %H:%M") + f" ({event.timezone})"


def _seats(registration: Registration) -> str:
    return "1 seat" if registration.quantity == 1 else f"{registration.quantity} seats"


def type_lines(registration: Registration) -> str:
    """E.g. "2 x Standard, 1 x Student": the ticket types bought."""
    return ", ".join(f"{item.quantity} x {item.name}" for item in registration.seat_items)


def registration_mail(registration: Registration, event: Event, base_url: str) -> Mail:
    return plain_mail(
        registration.buyer_email,
        f"You're going: {event.title}",
        [
            f"Hello {registration.buyer_name},",
            f"Your registration for {event.title} is confirmed: {_seats(registration)}.",
            f"Tickets: {type_lines(registration)}",
            f"When: {_when(event)}",
            f"Where: {event.venue}",
            f"Your registrations: {base_url}/my/registrations/{registration.id}",
        ],
    )


def event_cancelled_mail(registration: Registration, event: Event, base_url: str) -> Mail:
    refund = " Your payment will be refunded in full." if registration.amount else ""
    return plain_mail(
        registration.buyer_email,
        f"Cancelled: {event.title}",
        [
            f"Hello {registration.buyer_name},",
            f"We are sorry: the organizer has cancelled {event.title}, planned for "
            f"{_when(event)}. Your {_seats(registration)} are cancelled.{refund}",
            f"Other events: {base_url}/",
        ],
    )


def registration_cancelled_mail(registration: Registration, event: Event, base_url: str) -> Mail:
    return plain_mail(
        registration.buyer_email,
        f"Your registration for {event.title} was cancelled",
        [
            f"Hello {registration.buyer_name},",
            f"The organizer of {event.title} ({_when(event)}) cancelled your registration "
            f"for {_seats(registration)}.",
            f"Details: {base_url}/my/registrations/{registration.id}",
        ],
    )


def passed_on_ticket_cancelled_mail(
    to_name: str, to_email: str, from_name: str, event: Event, whole_event: bool
) -> Mail:
    """To whoever holds a ticket passed on to them when the organizer cancels it: its
    buyer is told by the mails above, and a refund goes to the buyer."""
    what = "the event" if whole_event else "the registration it belonged to"
    return plain_mail(
        to_email,
        f"Cancelled: your ticket for {event.title}",
        [
            f"Hello {to_name},",
            f"The ticket {from_name} passed on to you for {event.title} ({_when(event)}) "
            f"no longer admits anyone: the organizer cancelled {what}.",
            "Any refund goes to whoever paid for the ticket.",
        ],
    )


def payment_too_late_mail(registration: Registration, event: Event, base_url: str) -> Mail:
    return plain_mail(
        registration.buyer_email,
        f"Refunded: your payment for {event.title} came too late",
        [
            f"Hello {registration.buyer_name},",
            f"Your payment for {_seats(registration)} at {event.title} arrived after the time "
            "to pay had run out, and the seats had gone to other people meanwhile.",
            "We have refunded the full amount; your bank shows it within a few days.",
            f"Other events: {base_url}/",
        ],
    )


def refund_mail(registration: Registration, event: Event, base_url: str) -> Mail:
    return plain_mail(
        registration.buyer_email,
        f"Refunded: {event.title}",
        [
            f"Hello {registration.buyer_name},",
            f"Your registration for {_seats(registration)} at {event.title} "
            f"({_when(event)}) is cancelled and fully refunded.",
            f"Details: {base_url}/my/registrations/{registration.id}",
        ],
    )
