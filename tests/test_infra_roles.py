"""Each Lambda function's IAM role (infra/iam.yml) against the AWS calls its code makes.

- web: the app serves every route, so its needs are read from the adapters' source (every
  DynamoDB call of models/dynamo on every table, the S3, Cognito admin, SES and SSM calls),
  and the calls it really makes on moto while arranging the data below must fall inside.
- sweeper and deliverer: their entry points (`web.lambda.sweep`, `web.lambda.deliver`) run
  with the environment serverless.yml gives them, on moto, and every call they make is
  recorded (botocore's `before-parameter-build` event) as the IAM action and resource it
  needs: each role must grant exactly those, plus its log group (and, for the deliverer,
  the stream its event source mapping reads). A grant missing or one too many fails.

Fails before issue 16: one role served all three functions (the deliverer could delete
users, the sweeper call Cognito).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from models.aws_session import shared_session
from tests.aws_app import TABLES, aws_settings
from tests.cognito_pool import REGION
from tests.test_infra import ROOT, load
from tests.test_lambda import account, api, published_event
from tests.test_lambda_deliver import stream_event

STAGE = "ci"  # what `${sls:stage}` becomes in the recorded run
Grant = tuple[str, tuple[str, str]]  # (IAM action, (resource kind, name))

SERVERLESS = load(ROOT / "serverless.yml")
IAM = load(ROOT / "infra" / "iam.yml")["Resources"]
ROLE_OF = {name: spec["role"] for name, spec in SERVERLESS["functions"].items()}


# -- what a role grants -------------------------------------------------------------------


def resource_key(resource: Any) -> tuple[str, str]:
    """A role's resource, as (kind, logical name): ("table", "EventsTable"), ..."""
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        name, attribute = resource["Fn::GetAtt"]
        if attribute == "StreamArn":
            return ("stream", name)
        assert attribute == "Arn", resource
        for suffix, kind in (("Table", "table"), ("Bucket", "bucket"), ("UserPool", "pool")):
            if name.endswith(suffix):
                return (kind, name)
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        text = resource["Fn::Sub"]
        patterns = {
            r"\$\{(\w+)\.Arn\}/index/\*": "index",
            r"\$\{(\w+)\.Arn\}/stream/\*": "streams",
            r"\$\{(\w+)\.Arn\}/\*": "objects",
            r"arn:\$\{AWS::Partition\}:ses:\$\{AWS::Region\}:\$\{AWS::AccountId\}"
            r":identity/(\$\{param:mailDomain\})": "ses-identity",
            r"arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}"
            r":parameter(/admit/\$\{sls:stage\}/[a-z-]+)": "ssm-parameter",
            r"arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}"
            r":log-group:\$\{(\w+LogGroup)\}:\*": "log-group",
        }
        for pattern, kind in patterns.items():
            if match := re.fullmatch(pattern, text):
                return (kind, match.group(1))
    raise AssertionError(f"a resource this test cannot read: {resource!r}")


def statements(role: str) -> list[dict[str, Any]]:
    policies = IAM[role]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def granted(role: str) -> set[Grant]:
    grants: set[Grant] = set()
    for statement in statements(role):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in actions if isinstance(actions, list) else [actions]:
            assert "*" not in action, action
            for resource in resources if isinstance(resources, list) else [resources]:
                grant = (action, resource_key(resource))
                assert grant not in grants, f"{role} grants {grant} twice"
                grants.add(grant)
    return grants


def platform_grants(function: str) -> set[Grant]:
    """What Lambda itself does with the role: write the function's logs; for the
    deliverer, read the outbox table's stream (its event source mapping)."""
    group = ("log-group", f"{function.title()}LogGroup")
    grants = {("logs:CreateLogStream", group), ("logs:PutLogEvents", group)}
    if function == "deliverer":
        (event,) = SERVERLESS["functions"]["deliverer"]["events"]
        table = event["stream"]["arn"]["Fn::GetAtt"][0]
        grants |= {
            (f"dynamodb:{action}", ("stream", table))
            for action in ("DescribeStream", "GetShardIterator", "GetRecords")
        }
        grants.add(("dynamodb:ListStreams", ("streams", table)))
    return grants


# -- what a call needs --------------------------------------------------------------------


def table_logical_ids() -> dict[str, str]:
    """The Store's kind of table -> the CloudFormation table, as serverless.yml says."""
    joined = SERVERLESS["provider"]["environment"]["ADMIT_DYNAMODB_TABLES"]["Fn::Join"][1]
    pairs = (re.fullmatch(r"(\w+)=\$\{(\w+)\}", part["Fn::Sub"]) for part in joined)
    return {match.group(1): match.group(2) for match in pairs if match}


TABLE_OF_NAME = {TABLES[kind]: logical for kind, logical in table_logical_ids().items()}
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
SECRETS_PREFIX = f"/admit/{STAGE}/"


def needs(service: str, operation: str, params: dict[str, Any]) -> set[Grant]:
    """The IAM grants one API call needs."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            found: set[Grant] = set()
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                table = ("table", TABLE_OF_NAME[body["TableName"]])
                found.add((f"dynamodb:{TRANSACT_ACTIONS[kind]}", table))
            return found
        if operation == "BatchGetItem":
            return {
                ("dynamodb:BatchGetItem", ("table", TABLE_OF_NAME[name]))
                for name in params["RequestItems"]
            }
        table = TABLE_OF_NAME[params["TableName"]]
        kind = "index" if params.get("IndexName") else "table"
        return {(f"dynamodb:{operation}", (kind, table))}
    if service == "s3":
        objects, bucket = ("objects", "TicketsBucket"), ("bucket", "TicketsBucket")
        if operation in ("HeadObject", "GetObject"):
            # HeadObject is authorised by GetObject; without ListBucket a missing key
            # answers 403, not 404 (the app could not tell "render it" from "refused").
            return {("s3:GetObject", objects), ("s3:ListBucket", bucket)}
        return {(f"s3:{operation}", objects)}
    if service == "ses":
        return {(f"ses:{operation}", ("ses-identity", "${param:mailDomain}"))}
    if service == "ssm":
        return {
            (
                f"ssm:{operation}",
                ("ssm-parameter", name.replace(SECRETS_PREFIX, "/admit/${sls:stage}/")),
            )
            for name in params["Names"]
        }
    if service == "cognito-idp":
        # SignUp, InitiateAuth, ConfirmSignUp... are public: the client id is enough.
        if operation.startswith("Admin"):
            return {(f"cognito-idp:{operation}", ("pool", "UserPool"))}
        return set()
    raise AssertionError(f"a call to a service no role grants: {service}.{operation}")


class Recorder:
    """Every AWS call the process makes through the shared botocore session, by the
    function it was made for (`as_function`); calls outside one are not kept."""

    def __init__(self) -> None:
        self.function: str | None = None
        self.calls: dict[str, set[Grant]] = {}
        self.operations: dict[str, set[str]] = {}

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.function is None:
            return
        service = model.service_model.service_name
        self.operations.setdefault(self.function, set()).add(f"{service}.{model.name}")
        self.calls.setdefault(self.function, set()).update(needs(service, model.name, params))

    @contextmanager
    def as_function(self, function: str) -> Iterator[None]:
        self.function = function
        try:
            yield
        finally:
            self.function = None


# -- the recorded run ---------------------------------------------------------------------


def lambda_environment(made: dict[str, Any], data_dir: Path) -> dict[str, str]:
    """serverless.yml's environment for the functions, pointed at moto: its plain values
    as they are (the stage `ci`), the stack's references replaced by the moto resources."""
    references = {
        "ADMIT_BASE_URL": "https://admit.example",
        "ADMIT_ORIGIN_VERIFY": "origin-verify",
        "ADMIT_AWS_REGION": made["aws_region"],  # !Ref AWS::Region
        "ADMIT_DYNAMODB_TABLES": ",".join(f"{k}={v}" for k, v in made["dynamodb_tables"]),
        "ADMIT_S3_BUCKET": made["s3_bucket"],
        "ADMIT_COGNITO_USER_POOL_ID": made["cognito_user_pool_id"],
        "ADMIT_COGNITO_CLIENT_ID": made["cognito_client_id"],
        "ADMIT_COGNITO_ISSUER": made["cognito_issuer"],
        "ADMIT_COGNITO_JWKS_URL": made["cognito_jwks_url"],
        # The sender moto has verified (serverless.yml: tickets@<params.mailDomain>).
        "ADMIT_MAIL_FROM": made["mail_from"],
    }
    environment = {}
    for name, value in SERVERLESS["provider"]["environment"].items():
        if name in references:
            environment[name] = references[name]
        else:
            assert isinstance(value, str), f"{name}: a reference this test must replace"
            environment[name] = value.replace("${sls:stage}", STAGE)
    environment |= {
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_AWS_REGION": REGION,
        "ADMIT_AWS_ENDPOINT_URL": made["aws_endpoint_url"],
        "ADMIT_REQUIRE_EMAIL_VERIFICATION": "false",
        "ADMIT_HOLD_MINUTES": "0.002",  # 0.12 s: the sweeper finds a run-out hold
    }
    return environment


async def put_secrets(endpoint: str, environment: dict[str, str]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    values = {
        "secret-key": "s" * 64,
        "ticket-signing-key": pem,
        "stripe-secret-key": "sk_test_recorded",
        "stripe-publishable-key": "pk_test_recorded",
        "stripe-webhook-secret": "whsec_recorded",
    }
    async with shared_session().create_client(
        "ssm", endpoint_url=endpoint, region_name=REGION
    ) as ssm:
        for name, value in environment.items():
            if name.endswith("_PARAMETER"):
                key = value.removeprefix(SECRETS_PREFIX)
                await ssm.put_parameter(Name=value, Value=values[key], Type="SecureString")


@pytest.fixture(scope="module")
def recorded(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """The three functions at work on moto, every AWS call recorded: the web function
    signs up an organizer and a buyer, holds seats of a paid event (run out at once) and
    registers twice for a free one; the deliverer runs the first job its stream names;
    the sweeper releases the hold and runs the second job, whose stream record was lost.
    Two messages are sent: the deliverer runs the first's fan-out and its mail, the
    sweeper the second's fan-out (its stream record lost too)."""
    import urllib.request

    with urllib.request.urlopen(
        urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10
    ):
        pass
    data_dir = tmp_path_factory.mktemp("roles")
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
    os.environ.pop("AWS_PROFILE", None)
    made = asyncio.run(aws_settings(moto_server))
    environment = lambda_environment(made, data_dir)
    for name in list(os.environ):
        if name.startswith("ADMIT_"):
            del os.environ[name]
    os.environ.update(environment)
    asyncio.run(put_secrets(moto_server, environment))

    recorder = Recorder()
    session = shared_session()
    session.register("before-parameter-build", recorder, unique_id="iam-recorder")
    module: ModuleType = importlib.import_module("web.lambda")
    module.shutdown()
    try:
        with recorder.as_function("web"):
            organizer = account(module, "org@example.com", "organizer")
            buyer = account(module, "buyer@example.com", "attendee")
            paid = published_event(module, organizer, price=2500, capacity=10)
            # Stripe is not reachable from here (and no AWS call): the seats stay held.
            status, held = api(
                module, "POST", "/registrations", {"event_id": paid["id"], "quantity": 2}, buyer
            )
            assert status == 503, held
            assert held["error"]["code"] == "payment_provider_unavailable"
            free = published_event(module, organizer, price=0, capacity=10)
            jobs = []
            for _ in range(2):
                status, confirmed = api(
                    module, "POST", "/registrations", {"event_id": free["id"], "quantity": 1}, buyer
                )
                assert (status, confirmed["status"]) == (201, "confirmed"), confirmed
                jobs.append(f"tickets:{confirmed['id']}")
            status, me = api(module, "GET", "/me", None, buyer)
            assert status == 200, me
            messages = []
            for _ in range(2):  # issue 15: an organizer's message to the attendees
                status, sent = api(
                    module,
                    "POST",
                    f"/events/{free['id']}/messages",
                    {"subject": "Doors at seven", "body": "See you.", "to": "confirmed"},
                    organizer,
                )
                assert (status, sent["recipients"]) == (202, 1), sent
                messages.append(sent["id"])
        module.shutdown()  # each function runs in containers of its own

        with recorder.as_function("deliverer"):
            assert module.deliver(stream_event(jobs[:1]), None) == {"batchItemFailures": []}
            # The first message: its fan-out, then the one mail it wrote.
            first = [f"message:{messages[0]}#0", f"message_mail:{messages[0]}/{me['id']}"]
            assert module.deliver(stream_event(first[:1], 200), None) == {"batchItemFailures": []}
            assert module.deliver(stream_event(first[1:], 300), None) == {"batchItemFailures": []}

        time.sleep(0.3)  # the hold runs out
        with recorder.as_function("sweeper"):
            assert module.sweep({"source": "aws.events"}, None)["ok"] is True
        yield recorder
    finally:
        module.shutdown()
        session.unregister("before-parameter-build", unique_id="iam-recorder")
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_the_recorded_run_did_the_work(recorded: Recorder) -> None:
    """The runs below went through the paths the roles are checked against."""
    sweeper, deliverer = recorded.operations["sweeper"], recorded.operations["deliverer"]
    for operations in (sweeper, deliverer):
        assert {"s3.PutObject", "ses.SendRawEmail", "ssm.GetParameters"} <= operations
    assert "dynamodb.TransactWriteItems" in sweeper  # a hold released


def unrecorded_grants(function: str) -> set[Grant]:
    """What a function needs on a path the recorded run cannot take, read from the code.

    The sweeper's release reads the event through `event_item`, which gives an event
    stored before ticket types its type on first use: a transaction that puts the type
    item into the events table (models/dynamo/ticket_type_backfill.py). Events made now
    have their types, so the run on moto never needs it."""
    if function != "sweeper":
        return set()
    seats = (ROOT / "models" / "dynamo" / "seats.py").read_text()
    release = seats[seats.index("async def release_expired(") :]
    release = release[: release.index("\n    async def ")]
    assert "await self.event_item(event_id)" in release
    assert "await backfill_default_type(self, item)" in seats
    backfill = (ROOT / "models" / "dynamo" / "ticket_type_backfill.py").read_text()
    assert '"Put": {\n                        "TableName": events,' in backfill
    return {("dynamodb:PutItem", ("table", "EventsTable"))}


@pytest.mark.parametrize("function", ["sweeper", "deliverer"])
def test_the_role_grants_exactly_what_the_function_calls(recorded: Recorder, function: str) -> None:
    role = ROLE_OF[function]
    needed = recorded.calls[function] | platform_grants(function) | unrecorded_grants(function)
    grants = granted(role)
    assert not needed - grants, f"{role} lacks {sorted(needed - grants)}"
    assert not grants - needed, (
        f"{role} grants what {function} never calls: {sorted(grants - needed)}"
    )


# -- the web function: the whole app ------------------------------------------------------

DYNAMO_METHODS = {
    "get_item": "GetItem",
    "batch_get_item": "BatchGetItem",
    "query": "Query",
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
}
# Calls of models/dynamo that no function makes: the tables are the stack's (tests and
# `admit` make them with these), and the demo seeder's one Scan runs from the CLI.
NOT_ON_LAMBDA = {"create_table", "update_time_to_live", "scan"}


def web_needs() -> set[Grant]:
    store = "\n".join(p.read_text() for p in sorted((ROOT / "models" / "dynamo").glob("*.py")))
    methods = set(re.findall(r"client\.([a-z_]+)\(", store))
    methods |= set(re.findall(r'conditional\(\s*"([a-z_]+)"', store))
    assert methods - NOT_ON_LAMBDA <= set(DYNAMO_METHODS) | {"transact_write_items"}, methods
    item_actions = {DYNAMO_METHODS[m] for m in methods if m in DYNAMO_METHODS and m != "query"}
    item_actions |= {
        TRANSACT_ACTIONS[kind]
        for kind in re.findall(r'"(Put|Update|Delete|ConditionCheck)": ', store)
    }
    tables = set(table_logical_ids().values())
    infra = load(ROOT / "infra" / "dynamodb.yml")["Resources"]
    indexed = {t for t in tables if infra[t]["Properties"].get("GlobalSecondaryIndexes")}
    needed: set[Grant] = {(f"dynamodb:{a}", ("table", t)) for a in item_actions for t in tables}
    assert "query" in methods
    needed |= {("dynamodb:Query", ("table", t)) for t in tables}
    needed |= {("dynamodb:Query", ("index", t)) for t in indexed}

    files = (ROOT / "web" / "adapters" / "files" / "s3.py").read_text()
    for operation in set(re.findall(r'"(put_object|head_object|get_object)"', files)):
        needed |= needs("s3", "".join(w.title() for w in operation.split("_")), {})
    cognito = (ROOT / "web" / "adapters" / "identity" / "cognito.py").read_text()
    for operation in set(re.findall(r'_call\(\s*"(admin_[a-z_]+)"', cognito)):
        needed |= needs("cognito-idp", "".join(w.title() for w in operation.split("_")), {})
    assert "send_raw_email(" in (ROOT / "web" / "adapters" / "mail" / "ses.py").read_text()
    needed |= needs("ses", "SendRawEmail", {})
    parameters = [
        value.replace("${sls:stage}", STAGE)
        for name, value in SERVERLESS["provider"]["environment"].items()
        if name.endswith("_PARAMETER")
    ]
    needed |= needs("ssm", "GetParameters", {"Names": parameters})
    return needed


def test_the_web_role_grants_exactly_what_the_app_calls() -> None:
    needed = web_needs() | platform_grants("web")
    grants = granted(ROLE_OF["web"])
    assert not needed - grants, f"WebRole lacks {sorted(needed - grants)}"
    assert not grants - needed, (
        f"WebRole grants what the app never calls: {sorted(grants - needed)}"
    )


def test_what_the_web_function_called_on_moto_is_granted(recorded: Recorder) -> None:
    missing = recorded.calls["web"] - granted(ROLE_OF["web"])
    assert not missing, f"WebRole lacks {sorted(missing)}"


def test_every_function_has_a_role_of_its_own() -> None:
    assert "iam" not in SERVERLESS["provider"], "a provider-wide role serves every function"
    assert sorted(ROLE_OF) == ["deliverer", "sweeper", "web"]
    assert len(set(ROLE_OF.values())) == 3
    for role in ROLE_OF.values():
        trust = IAM[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ]
        assert "ManagedPolicyArns" not in IAM[role]["Properties"]
