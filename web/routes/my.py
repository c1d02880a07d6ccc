"""An attendee's own pages: registrations, one registration, and the checkout hold."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.domain import RegistrationStatus, utcnow
from models.errors import (
    CancellationClosed,
    Conflict,
    Forbidden,
    TicketTransferred,
    TicketUsed,
    ValidationFailed,
)
from web.adapters.payments.port import CardRefused, PaymentStart
from web.auth import require_user
from web.flash import flash
from web.forms import read_form
from web.middleware.security_headers import CSP
from web.routes.tickets import calendar_response
from web.routes.waitlist_box import ACTIVE
from web.services.container import services_of
from web.services.payments import HoldExpired
from web.services.registrations import RegistrationView
from web.templating import redirect, render

# Confirmed, the page shows the tickets' codes: never in a shared cache.
PRIVATE = {"Cache-Control": "private, no-store"}

# The Stripe checkout loads Stripe.js and its frames: this page alone allows them.
STRIPE_CSP = {
    "Content-Security-Policy": CSP.replace(
        "script-src 'self'", "script-src 'self' https://js.stripe.com"
    ).replace("connect-src 'self'", "connect-src 'self' https://api.stripe.com")
    + "; frame-src https://js.stripe.com https://hooks.stripe.com"
}


async def my_registrations(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    page = await services.registrations.mine(user, cursor=request.query_params.get("cursor"))
    views = await services.registrations.with_events(page.items)
    # The waiting lists head the first page ("Load more" appends registrations only).
    waiting = [] if request.query_params.get("cursor") else await services.waitlist.mine(user)
    context = {
        "views": views,
        "next_cursor": page.next_cursor,
        "now": utcnow(),
        "waitlist": [view for view in waiting if view.status in ACTIVE],
    }
    return render(request, "my/registrations.html", context, block="results")


# After paying at Stripe, the page asks again after 1, 2, 4, 8 s, then every 15 s, until
# the webhook confirms the registration; after POLLS questions (about 2 minutes) it stops
# and says to reload.
POLL_CAP = 15
POLLS = 10
PAYING = {"succeeded", "processing"}  # Stripe's `redirect_status` on the return URL


def poll_delay(polls_done: int) -> int | None:
    """Seconds before the next question, or None: stop asking."""
    if polls_done >= POLLS:
        return None
    return min(2**polls_done, POLL_CAP)


def _polls_done(request: Request) -> int | None:
    """How many times the page asked already; None when it is not waiting for a payment."""
    params = request.query_params
    waiting = params.get("waiting", "")
    if waiting.isdigit() and len(waiting) < 4:
        return min(int(waiting), POLLS)
    return 0 if params.get("redirect_status") in PAYING else None


async def my_registration(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    registrations = services.registrations
    view = await registrations.get(user, request.path_params["registration_id"])
    refusal = await registrations.cancel_refusal(user, view)
    tickets = await services.tickets.held_of(user, view.registration, view.event)
    from web.rendering.qr import qr_svg  # qrcode: only for pages that show tickets

    polls_done = _polls_done(request)
    waiting = polls_done is not None and view.registration.status is RegistrationStatus.HELD
    context = {
        "view": view,
        "may_cancel": refusal is None,
        # Said on the page rather than hiding the button without a word.
        "cancel_refusal": refusal.message
        if isinstance(refusal, TicketUsed | TicketTransferred | CancellationClosed)
        else None,
        "now": utcnow(),
        "tickets": [
            (t, qr_svg(t.code, label=f"QR code of {t.ticket.seat_label}")) for t in tickets
        ],
        # Still held after the payer came back from paying: ask again until it is not.
        "waiting": waiting,
        "polls_done": polls_done or 0,
        "next_poll": poll_delay(polls_done or 0) if waiting else None,
        # An answer to the page's own question (the news goes to its live region).
        "polled": polls_done is not None and "waiting" in request.query_params,
    }
    return render(request, "my/registration.html", context, block="registration", headers=PRIVATE)


async def registration_calendar(request: Request) -> Response:
    user = require_user(request)
    registrations = services_of(request).registrations
    entry = await registrations.calendar_entry(user, request.path_params["registration_id"])
    return calendar_response(entry)


async def cancel_registration(request: Request) -> Response:
    user = require_user(request)
    registration_id = request.path_params["registration_id"]
    try:
        await services_of(request).registrations.cancel(user, registration_id)
    except (Conflict, Forbidden) as exc:
        flash(request, exc.message, "error")
        return redirect(request, f"/my/registrations/{registration_id}")
    flash(request, "Your registration is cancelled and the seats are released.", "info")
    response = redirect(request, f"/my/registrations/{registration_id}")
    # The seats may go to the waiting list: its offer's mail leaves now, not at the clock.
    response.background = services_of(request).delivery.after_queueing()
    return response


async def checkout(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    view = await services.registrations.get(user, request.path_params["registration_id"])
    registration = view.registration
    if registration.user_id != user.id or registration.status is not RegistrationStatus.HELD:
        return redirect(request, f"/my/registrations/{registration.id}")
    if registration.hold_expired(utcnow()):
        return redirect(request, f"/my/registrations/{registration.id}")
    started = await services.payments.start(registration)
    return _checkout(request, view, {}, {}, started=started)


def _checkout(
    request: Request,
    view: RegistrationView,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
    message: str | None = None,
    started: PaymentStart | None = None,
) -> Response:
    services = services_of(request)
    context = {
        "view": view,
        "now": utcnow(),
        "values": {k: v for k, v in values.items() if k != "cvc"},
        "errors": errors,
        "message": message,
        "provider": services.payments.name,
        "started": started,
    }
    headers = STRIPE_CSP if services.payments.name == "stripe" else None
    return render(
        request,
        "my/checkout.html",
        context,
        status_code=status_code,
        block="payment",
        headers=headers,
    )


async def pay(request: Request) -> Response:
    """The simulator's card form (Stripe's Payment Element pays in the browser instead)."""
    user = require_user(request)
    services = services_of(request)
    registration_id = request.path_params["registration_id"]
    view = await services.registrations.get(user, registration_id)
    values = await read_form(request)
    errors = card_problems(values)
    if errors:
        return _checkout(request, view, values, errors, status_code=422)
    authenticate = values.get("authenticate") or None
    try:
        applied = await services.payments.pay_simulated(
            user, registration_id, values.get("card_number", ""), authenticate
        )
    except CardRefused as exc:
        if exc.code == "authentication_required":
            return render(request, "my/authenticate.html", {"view": view, "values": values})
        return _checkout(request, view, values, {"card_number": exc.message}, status_code=402)
    except ValidationFailed as exc:
        return _checkout(request, view, values, exc.fields, status_code=422)
    except HoldExpired as exc:
        flash(request, exc.message, "error")
        return redirect(request, f"/my/registrations/{registration_id}")
    if applied.registration.status is RegistrationStatus.CONFIRMED:
        flash(request, "Payment received: your tickets are ready.")
    else:
        flash(request, "The seats were gone by the time the payment arrived: refunded.", "error")
    response = redirect(request, f"/my/registrations/{registration_id}")
    response.background = services.delivery.after_answer(applied.to_deliver)
    return response


routes = [
    Route("/my/registrations", my_registrations),
    Route("/my/registrations/{registration_id}", my_registration),
    Route("/my/registrations/{registration_id}/calendar.ics", registration_calendar),
    Route("/my/registrations/{registration_id}/cancel", cancel_registration, methods=["POST"]),
    Route("/checkout/{registration_id}", checkout),
    Route("/checkout/{registration_id}/pay", pay, methods=["POST"]),
]


def card_problems(values: dict[str, str]) -> dict[str, str]:
    """What a card form checks before asking the provider (number, expiry, CVC)."""
    problems = {}
    number = "".join(values.get("card_number", "").split())
    if not number.isdigit() or not 12 <= len(number) <= 19:
        problems["card_number"] = "Enter the card number (digits only)."
    expiry = values.get("expiry", "").replace(" ", "")
    month, _, year = expiry.partition("/")
    now = utcnow()
    if not (month.isdigit() and year.isdigit() and 1 <= int(month) <= 12 and len(year) == 2):
        problems["expiry"] = "Enter the expiry date as MM/YY."
    elif (2000 + int(year), int(month)) < (now.year, now.month):
        problems["expiry"] = "This card has expired."
    cvc = values.get("cvc", "").strip()
    if not cvc.isdigit() or len(cvc) not in (3, 4):
        problems["cvc"] = "Enter the 3 or 4 digits on the back of the card."
    return problems
