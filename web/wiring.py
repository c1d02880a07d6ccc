"""The one place that picks adapters from settings and builds the use cases on them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from models.outbox import JobKind
from models.store import Store
from models.ticket_codes import CodeSigner, CodeVerifier
from web.adapters.aws_clients import AwsClients
from web.adapters.files.port import Files
from web.adapters.identity.port import Identity
from web.adapters.mail.port import Mailer
from web.adapters.payments.port import PaymentProvider
from web.keys import Keys
from web.services.accounts import Accounts
from web.services.container import Services
from web.services.delivery import Deliverer, Delivery, UndeliverableTickets
from web.services.door import Door
from web.services.door_staff import DoorStaff
from web.services.events import Events
from web.services.exports import Exports
from web.services.figures import Figures
from web.services.limits import Limiter, LoginLimits
from web.services.messages import Messages, UndeliverableMessage, UnsubscribeLinks
from web.services.outbox_worker import OutboxWorker
from web.services.payments import Payments
from web.services.promo_codes import PromoCodes
from web.services.questions import Questions
from web.services.registrations import Registrations
from web.services.sessions import Sessions
from web.services.ticket_types import TicketTypes
from web.services.tickets import Tickets
from web.services.transfers import Transfers
from web.services.waitlist import Waitlist
from web.settings import Settings, SettingsError


def _require(choice: str, **values: str) -> None:
    """Refuse to start an adapter without its settings, naming each one missing."""
    if missing := [name for name, value in values.items() if not value]:
        raise SettingsError(f"{choice} needs {', '.join(missing)}.")


def build_store(settings: Settings) -> Store:
    if settings.store == "sqlite":
        from models.sqlite.store import SqliteStore

        return SqliteStore(settings.database_path, settings.sqlite_busy_timeout)
    from models.dynamo.store import DynamoStore
    from models.dynamo.tables import LAYOUT

    tables = dict(settings.dynamodb_tables)
    if missing := sorted(set(LAYOUT) - set(tables)):
        raise SettingsError(f"ADMIT_DYNAMODB_TABLES lacks a table for: {', '.join(missing)}")
    return DynamoStore(
        tables,
        endpoint_url=settings.aws_endpoint_url or None,
        region=settings.aws_region,
        seat_shards=settings.seat_shards,
    )


def build_mailer(settings: Settings, aws: AwsClients) -> Mailer:
    if settings.mail == "outbox":
        from web.adapters.mail.outbox import OutboxMailer

        return OutboxMailer(settings.outbox_dir, settings.mail_from)
    if settings.mail == "ses":
        from web.adapters.mail.ses import SesMailer

        return SesMailer(aws, settings.mail_from)
    raise SettingsError(f"ADMIT_MAIL={settings.mail} is not a known adapter.")


def build_files(settings: Settings, keys: Keys, aws: AwsClients) -> Files:
    if settings.files == "local":
        from web.adapters.files.local import LocalFiles

        return LocalFiles(settings.data_dir / "files", keys.secret_key)
    if settings.files == "s3":
        _require("ADMIT_FILES=s3", ADMIT_S3_BUCKET=settings.s3_bucket)
        from web.adapters.files.s3 import S3Files

        return S3Files(aws, settings.s3_bucket)
    raise SettingsError(f"ADMIT_FILES={settings.files} is not a known adapter.")


def build_delivery(settings: Settings, store: Store, deliverer: Deliverer) -> Delivery:
    """The outbox's worker, and who runs it: ADMIT_DELIVERY decides whether answers and
    the clock drain it here, or a worker process / the stream-fed function does."""
    worker = OutboxWorker(
        store,
        {JobKind.TICKETS: deliverer.run_job},
        permanent=(UndeliverableTickets, UndeliverableMessage),
        lease=timedelta(seconds=settings.outbox_lease),
        max_attempts=settings.outbox_attempts,
        pause_before_mail=settings.outbox_test_pause,
    )
    in_app = settings.delivery == "in-app"
    return Delivery(worker, after_answers=in_app, on_clock=in_app or settings.delivery == "stream")


def build_payment_provider(settings: Settings) -> PaymentProvider:
    if settings.payments == "simulator":
        from web.adapters.payments.simulator import SimulatedPayments

        return SimulatedPayments()
    if settings.payments == "stripe":
        _require(
            "ADMIT_PAYMENTS=stripe",
            ADMIT_STRIPE_SECRET_KEY=settings.stripe_secret_key,
            ADMIT_STRIPE_PUBLISHABLE_KEY=settings.stripe_publishable_key,
            ADMIT_STRIPE_WEBHOOK_SECRET=settings.stripe_webhook_secret,
        )
        from web.adapters.payments.stripe import StripePayments

        return StripePayments(
            settings.stripe_secret_key,
            settings.stripe_publishable_key,
            settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base,
        )
    raise SettingsError(f"ADMIT_PAYMENTS={settings.payments} is not a known adapter.")


def build_identity(
    settings: Settings, keys: Keys, store: Store, mailer: Mailer, aws: AwsClients
) -> Identity:
    if settings.identity == "local":
        from web.adapters.identity.local import LocalIdentity

        return LocalIdentity(
            store,
            mailer,
            secret_key=keys.secret_key,
            base_url=settings.base_url,
            code_ttl=settings.code_ttl,
            token_ttl=settings.access_token_ttl,
        )
    _require(
        "ADMIT_IDENTITY=cognito",
        ADMIT_COGNITO_USER_POOL_ID=settings.cognito_user_pool_id,
        ADMIT_COGNITO_CLIENT_ID=settings.cognito_client_id,
    )
    from web.adapters.identity.cognito import CognitoIdentity

    return CognitoIdentity(
        store,
        aws,
        user_pool_id=settings.cognito_user_pool_id,
        client_id=settings.cognito_client_id,
        issuer=settings.cognito_issuer_url,
        jwks_url=settings.cognito_jwks,
    )


def build_services(settings: Settings, keys: Keys) -> Services:
    store = build_store(settings)
    # One set of AWS clients for the S3, SES and Cognito adapters; made on first use, so
    # the local adapters never import aiobotocore.
    aws = AwsClients(settings.aws_region, settings.aws_endpoint_url)
    mailer = build_mailer(settings, aws)
    files = build_files(settings, keys, aws)
    identity = build_identity(settings, keys, store, mailer, aws)
    limits = LoginLimits(
        per_account_and_client=settings.login_limit_per_account_client,
        per_account=settings.login_limit_per_account,
        per_client=settings.login_limit_per_client,
        window=timedelta(seconds=settings.login_window),
    )
    events = Events(store)
    signer = CodeSigner(keys.ticket_signing_key)
    verifier = CodeVerifier([keys.ticket_signing_key.public_key(), *keys.ticket_verify_keys])
    tickets = Tickets(store, signer, files, download_ttl=settings.download_ttl)
    door = Door(store, signer, verifier, grace=timedelta(hours=settings.checkin_grace_hours))
    deliverer = Deliverer(store, tickets, mailer, base_url=settings.base_url)
    door_staff = DoorStaff(store, identity, mailer, base_url=settings.base_url)
    payments = Payments(store, build_payment_provider(settings), mailer, base_url=settings.base_url)
    registrations = Registrations(
        store,
        events,
        payments,
        mailer,
        hold=timedelta(minutes=settings.hold_minutes),
        base_url=settings.base_url,
    )
    accounts = Accounts(
        store,
        identity,
        settings.require_email_verification,
        Limiter(store, limits),
        door_staff=door_staff,
    )
    sessions = Sessions(
        store, identity, accounts, lifetime=timedelta(seconds=settings.session_max_age)
    )
    questions = Questions(store, events)
    delivery = build_delivery(settings, store, deliverer)
    messages = Messages(
        store,
        events,
        mailer,
        delivery,
        UnsubscribeLinks(keys.secret_key, settings.base_url),
        per_day=settings.messages_per_event_day,
    )
    # The message jobs' handlers need the use case, which needs the worker to drain in-app.
    waitlist = Waitlist(store, events, mailer, settings.base_url)
    transfers = Transfers(store, events, tickets, mailer, settings.base_url)
    delivery.worker.handlers |= {
        JobKind.MESSAGE: messages.run_fanout,
        JobKind.MESSAGE_MAIL: messages.run_mail,
        JobKind.WAITLIST_OFFER: waitlist.run_offer_mail,
        JobKind.TRANSFER: transfers.run_mail,
    }
    return Services(
        aws=aws,
        store=store,
        mailer=mailer,
        files=files,
        identity=identity,
        accounts=accounts,
        events=events,
        figures=Figures(store, events),
        ticket_types=TicketTypes(store, events),
        questions=questions,
        promo_codes=PromoCodes(store, events),
        registrations=registrations,
        exports=Exports(events, registrations, tickets, questions, store),
        tickets=tickets,
        door=door,
        door_staff=door_staff,
        deliverer=deliverer,
        delivery=delivery,
        messages=messages,
        payments=payments,
        sessions=sessions,
        waitlist=waitlist,
        transfers=transfers,
    )


@asynccontextmanager
async def open_services(settings: Settings, keys: Keys) -> AsyncIterator[Services]:
    """Services with an open store, closed again on exit (the app's lifespan and the CLI)."""
    services = build_services(settings, keys)
    await services.store.open()
    try:
        yield services
    finally:
        try:
            await services.store.close()
        finally:
            await services.aws.close()
