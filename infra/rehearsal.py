"""The deploy rehearsal (`make deploy-rehearsal`): the packaged CloudFormation template made
into a stack on moto's CloudFormation (moto in server mode, 127.0.0.1, a free port), the
resources the stack made checked against what the code expects, then a smoke set run
against them with the Lambda handlers of web/lambda.py, configured from the environment
the stack gave each function.

    .venv/bin/python -m infra.rehearsal build/serverless-rehearsal

The folder is the output of `serverless package` (Makefile: deploy-rehearsal). As
`serverless deploy` does, the stack is first created from the create template (the
deployment bucket alone), the bundle and the full template are put into that bucket, and
the stack is updated from the template's URL.

moto's CloudFormation cannot make every resource type of the template. `UNSUPPORTED`
lists each such type and why; a rehearsal copy of the template leaves them out and turns
every reference to them (`Ref`, `Fn::GetAtt`, `${...}` in `Fn::Sub`) into a template
parameter. The types the code uses (the Cognito pool, client and groups; the SES identity)
are `STAND_INS`: made through their service's API from the template's own properties and
passed to the stack as those parameters' values, so the stack's outputs and the
functions' environment name them as on AWS. docs/DEPLOY_REHEARSAL.md has the same list.

The rehearsal fails (exit status 1, each problem on a line) when a table, index, key,
stream or TTL the code expects (models/dynamo/tables.py) differs from what the stack
made, when a bucket, the pool, its client or a group the code names is missing, when a
function's environment does not point at the stack's own resources, or when a step of the
smoke set (sign up, create an event, sell out, pay through localstripe, deliver from the
outbox stream, scan at the door, sweep) does not answer as the app promises.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import importlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
STAGE = "rehearsal"
CREDENTIALS = {"aws_access_key_id": "rehearsal", "aws_secret_access_key": "rehearsal"}
PASSWORD = "Rehearsal-Passw0rd"  # noqa: S105 (accounts on moto only)

_API_GATEWAY = (
    "moto's CloudFormation has no API Gateway v2; the rehearsal calls web/lambda.py's "
    "handler with API Gateway HTTP API (payload 2.0) event dicts instead"
)
_CLOUDFRONT = (
    "moto's CloudFormation has no CloudFront; ADMIT_BASE_URL and the outputs get a "
    "placeholder domain, and the static upload is tested against moto's S3 on its own "
    "(tests/test_deploy_static.py)"
)
_WATCHING = "moto's CloudFormation cannot make it; it watches or bills, the code never calls it"

# Every resource type of the template that moto's CloudFormation cannot make, and why.
# tests/test_deploy_rehearsal.py checks this against moto's own list of CloudFormation
# models, both ways, so it stays true when the template or moto changes.
UNSUPPORTED: dict[str, str] = {
    "AWS::ApiGatewayV2::Api": _API_GATEWAY,
    "AWS::ApiGatewayV2::Integration": _API_GATEWAY,
    "AWS::ApiGatewayV2::Route": _API_GATEWAY,
    "AWS::ApiGatewayV2::Stage": _API_GATEWAY,
    "AWS::CloudFront::Distribution": _CLOUDFRONT,
    "AWS::CloudFront::OriginAccessControl": _CLOUDFRONT,
    "AWS::CloudFront::CachePolicy": _CLOUDFRONT,
    "AWS::Cognito::UserPool": (
        "moto's CloudFormation has no Cognito; stand-in: made with CreateUserPool from the "
        "template's properties"
    ),
    "AWS::Cognito::UserPoolClient": (
        "moto's CloudFormation has no Cognito; stand-in: made with CreateUserPoolClient from "
        "the template's properties"
    ),
    "AWS::Cognito::UserPoolGroup": (
        "moto's CloudFormation has no Cognito; stand-in: made with CreateGroup from the "
        "template's properties"
    ),
    "AWS::SES::EmailIdentity": (
        "moto's CloudFormation has no SES; stand-in: the domain verified with "
        "VerifyDomainIdentity (moto sends only from verified identities)"
    ),
    "AWS::S3::BucketPolicy": (
        "moto's CloudFormation cannot make it (and moto does not enforce bucket policies); "
        "cfn-lint checks them in make infra-check"
    ),
    "AWS::Lambda::EventInvokeConfig": (
        "moto's CloudFormation cannot make it; it sets the sweeper's retries, which only "
        "AWS's scheduler acts on"
    ),
    "AWS::CloudWatch::Alarm": _WATCHING,
    "AWS::Logs::MetricFilter": _WATCHING,
    "AWS::SNS::Subscription": _WATCHING,
    "AWS::CloudTrail::Trail": _WATCHING,
    "AWS::Budgets::Budget": _WATCHING,
    "AWS::WAFv2::WebACL": _WATCHING + " (and it is off by default)",
}
STAND_INS = (
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::SES::EmailIdentity",
)
# The groups web/adapters/identity/cognito.py puts people in.
COGNITO_GROUPS = ("Organizers", "Attendees", "DoorStaff")

# The environment the rehearsal changes on top of what the stack gave the web function,
# each because the rehearsal runs on moto and localstripe, not on AWS and Stripe.
ENVIRONMENT_OVERRIDES = (
    "ADMIT_AWS_ENDPOINT_URL",  # moto's address
    "ADMIT_COGNITO_JWKS_URL",  # moto serves a pool's keys at its own address
    "ADMIT_STRIPE_API_BASE",  # localstripe's address
    "ADMIT_DATA_DIR",  # a temporary folder instead of Lambda's /tmp/admit
)


class RehearsalFailed(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- the rehearsal copy of the template -------------------------------------------------


def parameter_for(logical: str, attribute: str | None = None) -> str:
    return f"Rehearsal{logical}{(attribute or '').replace('.', '')}"


def placeholder(logical: str, attribute: str | None = None) -> str:
    parts = [attribute.replace(".", "-")] if attribute else []
    return ".".join([*parts, logical, "rehearsal", "invalid"]).lower()


@dataclass
class RehearsalTemplate:
    template: dict[str, Any]
    removed: dict[str, str]  # logical id -> type
    references: set[tuple[str, str | None]] = field(default_factory=set)


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


def rehearsal_template(template: dict[str, Any]) -> RehearsalTemplate:
    """A copy of `template` without the UNSUPPORTED resources; every reference to one of
    them reads a parameter of the same name (`parameter_for`) instead."""
    from moto.cloudformation.parsing import get_model_map

    copied = copy.deepcopy(template)
    resources: dict[str, Any] = copied["Resources"]
    unknown = sorted(
        {body["Type"] for body in resources.values()} - set(get_model_map()) - set(UNSUPPORTED)
    )
    if unknown:
        raise RehearsalFailed(
            [
                f"moto's CloudFormation cannot make {kind}: add it to UNSUPPORTED, with why"
                for kind in unknown
            ]
        )
    removed = {
        logical: body["Type"] for logical, body in resources.items() if body["Type"] in UNSUPPORTED
    }
    for logical in removed:
        del resources[logical]
    found: set[tuple[str, str | None]] = set()

    def sub(text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            logical, attribute = match.group(1), match.group(2)
            if logical not in removed:
                return match.group(0)
            found.add((logical, attribute))
            return "${" + parameter_for(logical, attribute) + "}"

        return _SUB_NAME.sub(replace, text)

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and node["Ref"] in removed:
            found.add((node["Ref"], None))
            return {"Ref": parameter_for(node["Ref"])}
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            logical, attribute = target.split(".", 1) if isinstance(target, str) else target
            if logical in removed:
                found.add((logical, attribute))
                return {"Ref": parameter_for(logical, attribute)}
        if set(node) == {"Fn::Sub"}:
            value = node["Fn::Sub"]
            if isinstance(value, str):
                return {"Fn::Sub": sub(value)}
            return {"Fn::Sub": [sub(value[0]), walk(value[1])]}
        return {key: walk(value) for key, value in node.items()}

    for body in resources.values():
        depends = body.get("DependsOn")
        if isinstance(depends, str):
            depends = [depends]
        if depends is not None:
            kept = [d for d in depends if d not in removed]
            if kept:
                body["DependsOn"] = kept
            else:
                del body["DependsOn"]
    copied["Resources"] = walk(resources)
    if "Outputs" in copied:
        copied["Outputs"] = walk(copied["Outputs"])
    parameters = copied.setdefault("Parameters", {})
    for logical, attribute in sorted(found, key=lambda f: (f[0], f[1] or "")):
        parameters[parameter_for(logical, attribute)] = {
            "Type": "String",
            "Default": placeholder(logical, attribute),
            "Description": f"rehearsal stand-in for {logical} ({removed[logical]})",
        }
    return RehearsalTemplate(copied, removed, found)


# -- moto ---------------------------------------------------------------------------------


@contextmanager
def moto_server() -> Iterator[str]:
    """moto on 127.0.0.1 and a port the kernel picks; its Cognito checks codes as the real
    service does (tests/faithful_cognito.py), so sign-up needs the mailed code."""
    import logging
    import warnings

    from moto.server import ThreadedMotoServer

    from tests import faithful_cognito
    from tests.moto_server import OneRequestAtATime

    # Its request log and its notes on the resources left out (listed by the rehearsal).
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    warnings.filterwarnings("ignore", message="Unable to delete ", category=UserWarning)

    faithful_cognito.apply()
    _hold_stream_records()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    assert server._server is not None
    server._server.app = OneRequestAtATime(server._server.app)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _hold_stream_records() -> None:
    """moto would run the deliverer itself (in Docker) for each record of the outbox table's
    stream, and then empty the stream. Here the records stay on the stream, and the smoke
    set hands them to web/lambda.py's `deliver` as the event source mapping would."""
    from moto.awslambda.models import LambdaBackend

    def hold(self: Any, function_arn: str, items: list[Any], source: str) -> str:
        return ""  # nothing ran: moto keeps the records

    LambdaBackend.send_dynamodb_items = hold  # type: ignore[method-assign,assignment]


def client(service: str, endpoint: str, region: str = REGION) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=region, **CREDENTIALS)


# -- the stack ------------------------------------------------------------------------------


@dataclass
class Stack:
    name: str
    endpoint: str
    region: str
    outputs: dict[str, str]
    removed: dict[str, str]
    stand_ins: dict[str, str]  # parameter -> value

    def output(self, key: str) -> str:
        if key not in self.outputs:
            raise RehearsalFailed([f"the stack has no output {key}"])
        return self.outputs[key]


def _resolve(node: Any, values: dict[tuple[str, str | None], str]) -> Any:
    """Properties of a stand-in with the Refs to other stand-ins filled in."""
    if isinstance(node, list):
        return [_resolve(item, values) for item in node]
    if isinstance(node, dict):
        if set(node) == {"Ref"} and (node["Ref"], None) in values:
            return values[(node["Ref"], None)]
        return {key: _resolve(value, values) for key, value in node.items()}
    return node


def make_stand_ins(
    endpoint: str, region: str, template: dict[str, Any]
) -> dict[tuple[str, str | None], str]:
    """The STAND_INS types of `template`, made through their APIs from its properties; the
    values their references take (Ref and GetAtt), by (logical id, attribute)."""
    resources = template["Resources"]
    values: dict[tuple[str, str | None], str] = {}
    order = {kind: n for n, kind in enumerate(STAND_INS)}
    ordered = sorted(
        (body["Type"], logical, body)
        for logical, body in resources.items()
        if body["Type"] in order
    )
    ordered.sort(key=lambda item: order[item[0]])
    cognito = client("cognito-idp", endpoint, region)
    for kind, logical, body in ordered:
        properties = _resolve(body.get("Properties", {}), values)
        if kind == "AWS::Cognito::UserPool":
            arguments = {
                k: v
                for k, v in properties.items()
                if k not in {"UserPoolName", "DeletionProtection", "EmailConfiguration"}
            }
            pool = cognito.create_user_pool(PoolName=properties["UserPoolName"], **arguments)
            values[(logical, None)] = pool["UserPool"]["Id"]
            values[(logical, "Arn")] = pool["UserPool"]["Arn"]
            values[(logical, "ProviderName")] = (
                f"cognito-idp.{region}.amazonaws.com/" + (pool["UserPool"]["Id"])
            )
        elif kind == "AWS::Cognito::UserPoolClient":
            made = cognito.create_user_pool_client(**properties)
            values[(logical, None)] = made["UserPoolClient"]["ClientId"]
        elif kind == "AWS::Cognito::UserPoolGroup":
            cognito.create_group(**properties)
            values[(logical, None)] = properties["GroupName"]
        elif kind == "AWS::SES::EmailIdentity":
            domain = properties["EmailIdentity"]
            client("ses", endpoint, region).verify_domain_identity(Domain=domain)
            values[(logical, None)] = domain
    return values


def _wait(cloudformation: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise RehearsalFailed([f"stack {name} still {status} after 60 s"])
        time.sleep(0.2)
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [
            f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason')}"
            for e in events
            if "FAILED" in e["ResourceStatus"]
        ]
        raise RehearsalFailed([f"stack {name} ended {status}", *reasons])
    return stack


def _lambda_code_keys(template: dict[str, Any]) -> set[str]:
    return {
        body["Properties"]["Code"]["S3Key"]
        for body in template["Resources"].values()
        if body["Type"] == "AWS::Lambda::Function" and "S3Key" in body["Properties"]["Code"]
    }


def create_stack(
    endpoint: str, package_dir: Path, name: str = f"admit-{STAGE}", region: str = REGION
) -> Stack:
    """What `serverless deploy` does with a packaged folder, on moto: create, upload the
    bundle and template, update from the template's URL."""
    cloudformation = client("cloudformation", endpoint, region)
    s3 = client("s3", endpoint, region)
    create = json.loads((package_dir / "cloudformation-template-create-stack.json").read_text())
    full = json.loads((package_dir / "cloudformation-template-update-stack.json").read_text())
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(create))
    created = _wait(cloudformation, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in created.get("Outputs", [])}
    bucket = outputs["ServerlessDeploymentBucketName"]

    rehearsal = rehearsal_template(full)
    values = make_stand_ins(endpoint, region, full)
    bundle = (package_dir / "admit.zip").read_bytes()
    for key in _lambda_code_keys(full):
        s3.put_object(Bucket=bucket, Key=key, Body=bundle)
    template_key = f"serverless/admit/{STAGE}/rehearsal/compiled-cloudformation-template.json"
    s3.put_object(Bucket=bucket, Key=template_key, Body=json.dumps(rehearsal.template).encode())
    parameters = {
        parameter_for(logical, attribute): value
        for (logical, attribute), value in values.items()
        if (logical, attribute) in rehearsal.references
    }
    cloudformation.update_stack(
        StackName=name,
        # The address serverless deploy gives (moto reads it from its own S3).
        TemplateURL=f"https://s3.{region}.amazonaws.com/{bucket}/{template_key}",
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    updated = _wait(cloudformation, name)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in updated.get("Outputs", [])}
    return Stack(name, endpoint, region, outputs, rehearsal.removed, parameters)


# -- what the code expects -----------------------------------------------------------------


def _output_key(kind: str) -> str:
    return "".join(part.title() for part in kind.split("_")) + "TableName"


def _normal_indexes(indexes: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        index["IndexName"]: {
            "KeySchema": index["KeySchema"],
            "Projection": {
                "ProjectionType": index["Projection"]["ProjectionType"],
                "NonKeyAttributes": sorted(index["Projection"].get("NonKeyAttributes", [])),
            },
        }
        for index in indexes or []
    }


def check_tables(stack: Stack) -> list[str]:
    """Each table of models/dynamo/tables.py against the one the stack made."""
    from models.dynamo.tables import LAYOUT, table_definition

    dynamodb = client("dynamodb", stack.endpoint, stack.region)
    body = client("cloudformation", stack.endpoint, stack.region).get_template(
        StackName=stack.name
    )["TemplateBody"]
    resources = (json.loads(body) if isinstance(body, str) else body)["Resources"]
    template_tables = {
        r["Properties"].get("TableName"): r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }
    problems: list[str] = []
    for kind, table in LAYOUT.items():
        key = _output_key(kind)
        name = stack.outputs.get(key)
        if name is None:
            problems.append(f"table {kind}: the stack has no output {key}")
            continue
        try:
            made = dynamodb.describe_table(TableName=name)["Table"]
        except dynamodb.exceptions.ResourceNotFoundException:
            problems.append(f"table {kind}: {name} does not exist")
            continue
        want = table_definition(name, table)
        if made["KeySchema"] != want["KeySchema"]:
            problems.append(
                f"table {kind}: key {made['KeySchema']}, the code uses {want['KeySchema']}"
            )
        types = {a["AttributeName"]: a["AttributeType"] for a in made["AttributeDefinitions"]}
        for attribute in want["AttributeDefinitions"]:
            got = types.get(attribute["AttributeName"])
            if got != attribute["AttributeType"]:
                problems.append(
                    f"table {kind}: attribute {attribute['AttributeName']} is {got}, "
                    f"the code uses {attribute['AttributeType']}"
                )
        have = _normal_indexes(made.get("GlobalSecondaryIndexes"))
        for index_name, index in _normal_indexes(want.get("GlobalSecondaryIndexes")).items():
            if index_name not in have:
                problems.append(f"table {kind}: no index {index_name} (has {sorted(have)})")
            elif have[index_name] != index:
                problems.append(
                    f"table {kind}: index {index_name} is {have[index_name]}, the code uses {index}"
                )
        stream = made.get("StreamSpecification") or {}
        if table.stream and not (
            stream.get("StreamEnabled")
            and stream.get("StreamViewType") in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
        ):
            problems.append(f"table {kind}: no stream of new images (the deliverer reads it)")
        # moto's CloudFormation drops TimeToLiveSpecification, so the TTL is read from the
        # stack's own template (what AWS would apply), the rest from the table moto made.
        ttl = (template_tables.get(name) or {}).get("TimeToLiveSpecification") or {}
        if table.ttl and (not ttl.get("Enabled") or ttl.get("AttributeName") != table.ttl):
            problems.append(f"table {kind}: TTL in the stack is {ttl}, the code writes {table.ttl}")
        if not table.ttl and ttl.get("Enabled"):
            problems.append(f"table {kind}: TTL on {ttl.get('AttributeName')}, the code sets none")
    return problems


def function_environment(stack: Stack, function: str) -> dict[str, str]:
    lambdas = client("lambda", stack.endpoint, stack.region)
    name = (
        f"admit-{STAGE}-{function}"
        if not stack.name.startswith("admit-")
        else (f"{stack.name}-{function}")
    )
    configuration = lambdas.get_function_configuration(FunctionName=name)
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def check_resources(stack: Stack) -> list[str]:
    """Buckets, pool, client, groups, and what each function's environment names."""
    problems = check_tables(stack)
    s3 = client("s3", stack.endpoint, stack.region)
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    for key in ("TicketsBucketName", "StaticBucketName"):
        if stack.outputs.get(key) not in buckets:
            problems.append(f"bucket {key}: {stack.outputs.get(key)} does not exist")
    cognito = client("cognito-idp", stack.endpoint, stack.region)
    pool_id = stack.outputs.get("UserPoolId", "")
    try:
        groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
        missing = [g for g in COGNITO_GROUPS if g not in groups]
        if missing:
            problems.append(f"user pool {pool_id}: no group {', '.join(missing)}")
        cognito.describe_user_pool_client(
            UserPoolId=pool_id, ClientId=stack.outputs.get("UserPoolClientId", "")
        )
    except Exception as exc:  # the pool or the client is not there
        problems.append(f"user pool {pool_id} or client: {exc}")

    from models.dynamo.tables import LAYOUT

    want_tables = {kind: stack.outputs.get(_output_key(kind)) for kind in LAYOUT}
    for function in ("web", "sweeper", "deliverer"):
        try:
            environment = function_environment(stack, function)
        except Exception as exc:
            problems.append(f"function {function}: {exc}")
            continue
        tables = dict(
            pair.split("=", 1)
            for pair in environment.get("ADMIT_DYNAMODB_TABLES", "").split(",")
            if "=" in pair
        )
        if tables != want_tables:
            problems.append(
                f"function {function}: ADMIT_DYNAMODB_TABLES is {tables}, "
                f"the stack's tables are {want_tables}"
            )
        expected = {
            "ADMIT_S3_BUCKET": stack.outputs.get("TicketsBucketName"),
            "ADMIT_COGNITO_USER_POOL_ID": pool_id,
            "ADMIT_COGNITO_CLIENT_ID": stack.outputs.get("UserPoolClientId"),
            "ADMIT_COGNITO_ISSUER": stack.outputs.get("UserPoolIssuer"),
            "ADMIT_AWS_REGION": stack.region,
        }
        for variable, value in expected.items():
            if environment.get(variable) != value:
                problems.append(
                    f"function {function}: {variable} is {environment.get(variable)!r}, "
                    f"the stack's is {value!r}"
                )
    mappings = [
        m
        for m in client("lambda", stack.endpoint, stack.region).list_event_source_mappings()[
            "EventSourceMappings"
        ]
        if m["FunctionArn"].endswith(f":function:{stack.name}-deliverer")
    ]
    outbox = client("dynamodb", stack.endpoint, stack.region).describe_table(
        TableName=stack.outputs.get("OutboxTableName", "")
    )["Table"]
    if not any(m["EventSourceArn"] == outbox.get("LatestStreamArn") for m in mappings):
        problems.append("deliverer: no event source mapping on the outbox table's stream")
    return problems


# -- the smoke set ----------------------------------------------------------------------------


def api_event(
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """An API Gateway HTTP API event, payload format 2.0, as the `$default` route sends."""
    host = "rehearsal.execute-api.eu-west-1.amazonaws.com"
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "host": host,
            "user-agent": "admit-rehearsal",
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-proto": "https",
            "content-length": str(len(body or b"")),
            **{k.lower(): v for k, v in (headers or {}).items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "rehearsal",
            "domainName": host,
            "domainPrefix": "rehearsal",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "admit-rehearsal",
            },
            "requestId": f"rehearsal-{now:.6f}",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body.decode()
    return event


class Smoke:
    """The smoke set, through `web.lambda`'s three handlers."""

    def __init__(self, stack: Stack, localstripe: str, data_dir: Path) -> None:
        self.stack = stack
        self.localstripe = localstripe
        self.lambda_module: ModuleType = importlib.import_module("web.lambda")
        self.environment = function_environment(stack, "web")
        pool = stack.outputs["UserPoolId"]
        self.environment.update(
            {
                "ADMIT_AWS_ENDPOINT_URL": stack.endpoint,
                "ADMIT_COGNITO_JWKS_URL": f"{stack.endpoint}/{pool}/.well-known/jwks.json",
                "ADMIT_STRIPE_API_BASE": localstripe,
                "ADMIT_DATA_DIR": str(data_dir),
                "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
                "AWS_REGION": stack.region,
            }
        )
        assert set(ENVIRONMENT_OVERRIDES) <= set(self.environment)

    @contextmanager
    def environ(self, function: str) -> Iterator[None]:
        """The process environment as Lambda gives `function` (plus the overrides)."""
        saved = dict(os.environ)
        own = function_environment(self.stack, function)
        os.environ.clear()
        os.environ.update({"PATH": saved.get("PATH", ""), **self.environment, **own})
        for name in ENVIRONMENT_OVERRIDES:
            os.environ[name] = self.environment[name]
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def call(
        self, method: str, path: str, payload: Any = None, token: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"content-type": "application/json"} if payload is not None else {}
        if token:
            headers["authorization"] = f"Bearer {token}"
        headers.update(kw.pop("headers", {}))
        body = (
            payload
            if isinstance(payload, bytes)
            else (json.dumps(payload).encode() if payload is not None else None)
        )
        with self.environ("web"):
            answer = self.lambda_module.handler(
                api_event(method, path, body=body, headers=headers, **kw), None
            )
        raw = answer.get("body", "")
        data = base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()
        try:
            return answer["statusCode"], json.loads(data or b"null")
        except ValueError:
            return answer["statusCode"], data.decode(errors="replace")

    def expect(self, status: int, answer: tuple[int, Any], what: str) -> Any:
        if answer[0] != status:
            raise RehearsalFailed([f"{what}: {answer[0]} {answer[1]!r}, expected {status}"])
        return answer[1]

    def person(self, email: str, role: str) -> str:
        from tests.faithful_cognito import pending_code

        self.expect(
            201,
            self.call(
                "POST",
                "/api/v1/auth/signup",
                {"email": email, "password": PASSWORD, "name": email.split("@")[0], "role": role},
            ),
            f"sign up {email}",
        )
        from moto.cognitoidp.models import cognitoidp_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        pools = cognitoidp_backends[DEFAULT_ACCOUNT_ID][self.stack.region].user_pools
        user = pools[self.stack.outputs["UserPoolId"]]._get_user(email)
        code = pending_code(user)
        self.expect(
            200,
            self.call("POST", "/api/v1/auth/verify", {"email": email, "code": code}),
            f"verify {email}",
        )
        answer = self.expect(
            200,
            self.call("POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD}),
            f"token for {email}",
        )
        return str(answer["access_token"])

    def run(self) -> list[str]:
        """Every step in order; the lines it reports."""
        from datetime import UTC, datetime, timedelta

        done: list[str] = []
        page = self.call("GET", "/", headers={"accept": "text/html"})
        self.expect(200, page, "the home page")
        from web.static_urls import StaticUrls

        stylesheet = StaticUrls(ROOT / "static", hashed=True)("css/app.css")
        if f'href="{stylesheet}"' not in str(page[1]):
            raise RehearsalFailed([f"the home page does not name the uploaded {stylesheet}"])
        done.append(f"home page: 200, names {stylesheet}")

        organizer = self.person("organizer@rehearsal.example", "organizer")
        buyer = self.person("buyer@rehearsal.example", "attendee")
        late = self.person("late@rehearsal.example", "attendee")
        cognito = client("cognito-idp", self.stack.endpoint, self.stack.region)
        groups = cognito.admin_list_groups_for_user(
            UserPoolId=self.stack.outputs["UserPoolId"], Username="organizer@rehearsal.example"
        )["Groups"]
        if "Organizers" not in {g["GroupName"] for g in groups}:
            raise RehearsalFailed([f"the organizer is not in the Organizers group: {groups}"])
        done.append("sign-up with the mailed code: 3 accounts, organizer in Organizers")

        starts = datetime.now(UTC) + timedelta(hours=2)
        event = self.expect(
            201,
            self.call(
                "POST",
                "/api/v1/events",
                {
                    "title": "Rehearsal night",
                    "description": "The deploy rehearsal's event",
                    "venue": "moto hall",
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(hours=3)).isoformat(),
                    "timezone": "Europe/Dublin",
                    "capacity": 2,
                    "price": 2500,
                    "currency": "EUR",
                },
                organizer,
            ),
            "create the event",
        )
        self.expect(
            200,
            self.call("POST", f"/api/v1/events/{event['id']}/publish", None, organizer),
            "publish",
        )
        done.append("event created and published (2 seats, EUR 25)")

        held = self.expect(
            201,
            self.call(
                "POST", "/api/v1/registrations", {"event_id": event["id"], "quantity": 2}, buyer
            ),
            "hold both seats",
        )
        refused = self.call(
            "POST", "/api/v1/registrations", {"event_id": event["id"], "quantity": 1}, late
        )
        code = refused[1].get("error", {}).get("code") if isinstance(refused[1], dict) else None
        if refused[0] != 409 or code not in ("sold_out", "not_enough_seats"):
            raise RehearsalFailed([f"a third seat: {refused}, expected 409 sold_out"])
        done.append(f"sold out: the next buyer gets 409 {code}")

        intent_id = self.pay(held)
        registration = self.expect(
            200, self.call("GET", f"/api/v1/registrations/{held['id']}", None, buyer), "read it"
        )
        if registration["status"] != "confirmed" or len(registration["tickets"]) != 2:
            raise RehearsalFailed([f"after the payment: {registration}"])
        done.append(f"paid through localstripe ({intent_id}), the webhook confirmed 2 tickets")

        delivered = self.deliver(buyer_email="buyer@rehearsal.example")
        done.append(delivered)

        ticket = self.expect(
            200,
            self.call("GET", f"/api/v1/tickets/{registration['tickets'][0]}", None, buyer),
            "read a ticket",
        )
        scan = {"code": ticket["code"], "event_id": event["id"], "gate": "A"}
        first = self.expect(
            200, self.call("POST", "/api/v1/tickets/validate", scan, organizer), "scan"
        )
        again = self.expect(
            200, self.call("POST", "/api/v1/tickets/validate", scan, organizer), "scan again"
        )
        if first.get("result") != "admitted" or again.get("result") == "admitted":
            raise RehearsalFailed([f"door: first {first}, again {again}"])
        done.append(f"door: admitted, then {again['result']}")

        with self.environ("sweeper"):
            swept = self.lambda_module.sweep({"source": "aws.events"}, None)
        if not swept.get("ok"):
            raise RehearsalFailed([f"sweep: {swept}"])
        done.append("sweeper: ran")
        self.lambda_module.shutdown()
        return done

    def pay(self, held: dict[str, Any]) -> str:
        from tests.localstripe_server import event_payload, pay, payment_intent, signature_header

        secret = held.get("payment", {}).get("client_secret", "")
        intent_id = secret.split("_secret_")[0]
        if not intent_id.startswith("pi_"):
            raise RehearsalFailed([f"the hold has no Stripe payment: {held}"])
        paid = asyncio.run(pay(self.localstripe, intent_id))
        if paid.status_code != 200:
            raise RehearsalFailed([f"localstripe refused the payment: {paid.text}"])
        intent = asyncio.run(payment_intent(self.localstripe, intent_id))
        payload = event_payload(f"evt_rehearsal_{intent_id}", "payment_intent.succeeded", intent)
        webhook_secret = self.parameter("ADMIT_STRIPE_WEBHOOK_SECRET_PARAMETER")
        answer = self.call(
            "POST",
            "/webhooks/stripe",
            payload,
            headers={"stripe-signature": signature_header(payload, webhook_secret)},
        )
        self.expect(200, answer, "the Stripe webhook")
        return intent_id

    def parameter(self, variable: str) -> str:
        ssm = client("ssm", self.stack.endpoint, self.stack.region)
        name = self.environment[variable]
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])

    def deliver(self, buyer_email: str) -> str:
        """The outbox stream's new records, through the deliverer as its event source
        mapping would hand them over; then the mail in SES and the PDFs in the bucket."""
        from email import message_from_string, policy

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import RawMessage, ses_backends

        dynamodb = client("dynamodb", self.stack.endpoint, self.stack.region)
        streams = client("dynamodbstreams", self.stack.endpoint, self.stack.region)
        arn = dynamodb.describe_table(TableName=self.stack.outputs["OutboxTableName"])["Table"][
            "LatestStreamArn"
        ]
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records += streams.get_records(ShardIterator=iterator)["Records"]
        inserts = [r for r in records if r["eventName"] == "INSERT"]
        if not inserts:
            raise RehearsalFailed(["no delivery job reached the outbox table's stream"])
        event = {
            "Records": [
                {**r, "eventSource": "aws:dynamodb", "eventSourceARN": arn} for r in inserts
            ]
        }
        with self.environ("deliverer"):
            answer = self.lambda_module.deliver(json.loads(json.dumps(event, default=str)), None)
        if answer.get("batchItemFailures"):
            raise RehearsalFailed([f"the deliverer handed records back: {answer}"])
        sent = [
            message_from_string(m.raw_data, policy=policy.default)
            for m in ses_backends[DEFAULT_ACCOUNT_ID][self.stack.region].sent_messages
            if isinstance(m, RawMessage)
        ]
        mine = [m for m in sent if buyer_email in str(m["To"])]
        if len(mine) != 1:
            raise RehearsalFailed([f"{len(mine)} mails to the buyer through SES, expected 1"])
        attachments = [a for a in mine[0].iter_attachments()]
        s3 = client("s3", self.stack.endpoint, self.stack.region)
        stored = s3.list_objects_v2(Bucket=self.stack.outputs["TicketsBucketName"]).get(
            "KeyCount", 0
        )
        if len(attachments) < 2 or stored < 2:
            raise RehearsalFailed(
                [f"delivery: {len(attachments)} attachments, {stored} PDFs in the bucket"]
            )
        return (
            f"delivered from the outbox stream ({len(inserts)} job): 1 mail with "
            f"{len(attachments)} attachments, {stored} PDFs in the tickets bucket"
        )


# -- the whole rehearsal ------------------------------------------------------------------------


def put_rehearsal_secrets(stack: Stack) -> None:
    """The stage's secrets, through the operator's own script (infra/deploy_secrets.py)."""
    from infra.deploy_secrets import put_secrets
    from tests.localstripe_server import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET

    put_secrets(
        client("ssm", stack.endpoint, stack.region),
        STAGE,
        {
            "ADMIT_STRIPE_SECRET_KEY": SECRET_KEY,
            "ADMIT_STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "ADMIT_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )


def rehearse(package_dir: Path, say: Callable[[str], None] = print) -> None:
    from tests.localstripe_server import running_localstripe

    started = time.monotonic()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    with moto_server() as endpoint, running_localstripe() as localstripe:
        say(f"moto at {endpoint}, localstripe at {localstripe}")
        stack = create_stack(endpoint, package_dir)
        say(f"stack {stack.name}: made without {len(stack.removed)} resources moto cannot make:")
        for logical, kind in sorted(stack.removed.items(), key=lambda i: (i[1], i[0])):
            tag = " (stand-in)" if kind in STAND_INS else ""
            say(f"  {kind} {logical}{tag}")
        problems = check_resources(stack)
        if problems:
            raise RehearsalFailed(problems)
        say(
            "tables, indexes, keys, stream, TTL, buckets, pool, client, groups: as the code expects"
        )
        put_rehearsal_secrets(stack)
        with tempfile.TemporaryDirectory(prefix="admit-rehearsal-") as data_dir:
            for line in Smoke(stack, localstripe, Path(data_dir)).run():
                say(f"smoke: {line}")
    say(f"deploy rehearsal passed in {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rehearse the deploy on moto")
    parser.add_argument("package_dir", type=Path, help="serverless package's output folder")
    args = parser.parse_args(argv)
    try:
        rehearse(args.package_dir)
    except RehearsalFailed as failed:
        print("deploy rehearsal FAILED:", file=sys.stderr)
        for problem in failed.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
