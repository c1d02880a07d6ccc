"""The project's own exceptions.

Adapters translate their errors into these (a SQLite constraint and a DynamoDB
`ConditionalCheckFailed` both become `Conflict`), and the web layer turns each into a page
message or an API error body with the same `code`.
"""

from __future__ import annotations


class AdmitError(Exception):
    """Base: a request Admit understood and refuses, with a stable `code` and a message."""

    status = 400
    code = "bad_request"
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details: object) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


class ValidationFailed(AdmitError):
    status = 422
    code = "validation_failed"
    message = "Some fields need attention."

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message)
        self.fields = fields


class WrongPassword(ValidationFailed):
    """The current password given to change it is not the account's (a field error, but
    not a malformed request: scripts tell it apart by its code)."""

    status = 400
    code = "wrong_password"
    message = "The current password is not correct."

    def __init__(self, field: str = "current_password") -> None:
        super().__init__({field: "That is not your current password."})


class NotFound(AdmitError):
    status = 404
    code = "not_found"
    message = "Nothing was found at this address."


class Conflict(AdmitError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email address already exists."


class InvalidCredentials(AdmitError):
    status = 401
    code = "invalid_credentials"
    message = "The email address or password is not correct."


class NotAuthenticated(AdmitError):
    status = 401
    code = "not_authenticated"
    message = "Log in to continue."


class Forbidden(AdmitError):
    status = 403
    code = "forbidden"
    message = "Your account may not do this."


class EmailNotVerified(AdmitError):
    status = 403
    code = "email_not_verified"
    message = "Confirm your email address with the code we sent before logging in."


class InvalidCode(AdmitError):
    status = 400
    code = "invalid_code"
    message = "That code is wrong or has expired. Ask for a new one."


class TooManyAttempts(AdmitError):
    status = 429
    code = "too_many_attempts"
    message = "Too many failed attempts. Wait a few minutes and try again."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreNotReady(RuntimeError):
    """The database is missing migrations: run `admit migrate`."""


class EventNotOpen(Conflict):
    code = "event_not_open"
    message = "This event is not open for registration."


def _type_detail(ticket_type_id: str | None) -> dict[str, object]:
    return {} if ticket_type_id is None else {"ticket_type_id": ticket_type_id}


class SoldOut(Conflict):
    """`ticket_type_id` names the type when its own capacity is the limit."""

    code = "sold_out"
    message = "Sold out: there are no seats left."

    def __init__(self, ticket_type_id: str | None = None, name: str | None = None) -> None:
        message = f"{name} is sold out." if name else None
        super().__init__(message, seats_left=0, **_type_detail(ticket_type_id))


class NotEnoughSeats(Conflict):
    code = "not_enough_seats"

    def __init__(
        self, seats_left: int, ticket_type_id: str | None = None, name: str | None = None
    ) -> None:
        noun = "seat" if seats_left == 1 else "seats"
        where = f" of {name}" if name else ""
        super().__init__(
            f"Only {seats_left} {noun}{where} left.",
            seats_left=seats_left,
            **_type_detail(ticket_type_id),
        )


class TicketTypeNotOnSale(Conflict):
    code = "ticket_type_not_on_sale"

    def __init__(self, ticket_type_id: str, name: str) -> None:
        super().__init__(f"{name} is not on sale now.", ticket_type_id=ticket_type_id)


class TicketTypeInUse(Conflict):
    code = "ticket_type_in_use"
    message = "Seats of this ticket type were taken: hide it instead of deleting it."


class LastTicketType(Conflict):
    code = "last_ticket_type"
    message = "An event keeps at least one ticket type."


class CapacityBelowSold(Conflict):
    code = "capacity_below_sold"

    def __init__(self, seats_taken: int) -> None:
        super().__init__(
            f"Capacity cannot go below the {seats_taken} seats already taken.",
            seats_taken=seats_taken,
        )


class InvalidTransition(Conflict):
    code = "invalid_state"
    message = "That is not possible in the current state."


class TicketUsed(Conflict):
    code = "ticket_used"
    message = (
        "A ticket of this registration has already been used at the door, "
        "so it can no longer be cancelled. Ask the organizer."
    )


class CancellationClosed(Conflict):
    code = "cancellation_closed"
    message = "The time to cancel has passed. Ask the organizer."


class AccountLimit(Conflict):
    code = "account_limit"

    def __init__(self, seats_allowed: int, limit: int) -> None:
        if seats_allowed:
            more = "1 more seat" if seats_allowed == 1 else f"{seats_allowed} more seats"
            message = f"One account may hold {limit} seats of this event: you may take {more}."
        else:
            message = f"One account may hold {limit} seats of this event, and yours has them all."
        super().__init__(message, seats_allowed=seats_allowed)


class SeatsAvailable(Conflict):
    """Joining a waiting list while the public can still buy seats (API.md)."""

    code = "seats_available"
    message = "There are seats left: book them instead of joining the waiting list."

    def __init__(self, seats_left: int, ticket_type_id: str | None = None) -> None:
        super().__init__(None, seats_left=seats_left, **_type_detail(ticket_type_id))


class AlreadyWaiting(Conflict):
    code = "already_waiting"
    message = (
        "You are on this event's waiting list already: leave it first to wait for "
        "another number of seats."
    )


class WaitlistClosed(Conflict):
    code = "waitlist_closed"
    message = "This event has no waiting list."


class TicketVoid(Conflict):
    code = "ticket_void"
    message = "This ticket is void: its registration was cancelled."


class TransfersLocked(Conflict):
    code = "transfers_locked"
    message = "The organizer does not allow tickets of this event to be passed on."


class TicketTransferred(Conflict):
    """An attendee's cancellation of a registration one of whose tickets was passed on:
    someone else holds that ticket now, and a refund to the buyer would void it."""

    code = "ticket_transferred"
    message = (
        "A ticket of this registration was passed on to someone else, "
        "so it can no longer be cancelled. Ask the organizer."
    )
