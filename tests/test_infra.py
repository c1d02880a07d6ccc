"""Static checks of the AWS deployment: serverless.yml and the CloudFormation in infra/.

`make infra-check` packages the stack with the Serverless Framework and lints the generated
template with cfn-lint; these tests read the sources and hold the project's own rules
(least privilege, encryption, the tables the Store needs) that no linter knows.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) into
    their long form ({"Ref": ...}, {"Fn::GetAtt": [...]}, {"Fn::Sub": ...})."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=CloudFormationLoader)


@pytest.fixture(scope="module")
def serverless() -> dict[str, Any]:
    return load(ROOT / "serverless.yml")


@pytest.fixture(scope="module")
def infra() -> dict[str, dict[str, Any]]:
    """Every infra/*.yml file, by file name."""
    return {path.name: load(path) for path in sorted(INFRA.glob("*.yml"))}


@pytest.fixture(scope="module")
def resources(infra: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for name, doc in infra.items():
        for logical_id, resource in (doc.get("Resources") or {}).items():
            assert logical_id not in merged, f"{logical_id} defined twice ({name})"
            merged[logical_id] = resource
    return merged


def of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {key: res for key, res in resources.items() if res["Type"] == kind}


def iam_statements(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every statement of every function's role (infra/iam.yml)."""
    return [
        statement
        for role in of_type(resources, "AWS::IAM::Role").values()
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def web_statement(resources: dict[str, dict[str, Any]], sid: str) -> dict[str, Any]:
    (policy,) = resources["WebRole"]["Properties"]["Policies"]
    (statement,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == sid]
    return statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def walk(node: Any) -> Any:
    """Every dict, list and scalar inside `node`, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def referenced_names(node: Any) -> set[str]:
    """Logical ids and parameters named by Ref, GetAtt and ${...} in Sub strings."""
    names = set()
    for item in walk(node):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("Ref"), str):
            names.add(item["Ref"])
        if "Fn::GetAtt" in item:
            names.add(item["Fn::GetAtt"][0])
        if "Fn::Sub" in item:
            template, *variables = as_list(item["Fn::Sub"])
            local = set(variables[0]) if variables else set()
            found = re.findall(r"\$\{([A-Za-z0-9]+)(?:\.\w+)?\}", template)
            names.update(name for name in found if name not in local)
    return {name for name in names if not name.startswith("AWS::")}


# -- the includes ---------------------------------------------------------------------


def test_every_infra_file_is_included_by_serverless_yml(serverless: dict[str, Any]) -> None:
    included = {
        match.group(1)
        for entry in serverless["resources"]
        if isinstance(entry, str)
        for match in [re.fullmatch(r"\$\{file\((infra/[\w-]+\.yml)\)\}", entry)]
        if match
    }
    on_disk = {f"infra/{path.name}" for path in INFRA.glob("*.yml")}
    assert included == on_disk


def test_serverless_provider_and_functions(serverless: dict[str, Any]) -> None:
    provider = serverless["provider"]
    assert serverless["service"] == "admit"
    assert serverless["frameworkVersion"] == "3"
    assert provider["name"] == "aws"
    assert provider["runtime"] == "python3.12"
    assert provider["architecture"] in {"arm64", "x86_64"}
    functions = serverless["functions"]
    assert functions["web"]["handler"] == "web/lambda.handler"
    assert functions["web"]["events"] == [{"httpApi": "*"}]
    assert functions["sweeper"]["handler"] == "web/lambda.sweep"
    assert functions["sweeper"]["events"][0]["schedule"]["rate"] == "rate(1 minute)"
    throttle = serverless["resources"][-1]["extensions"]["HttpApiStage"]["Properties"]
    assert set(throttle["DefaultRouteSettings"]) == {
        "ThrottlingRateLimit",
        "ThrottlingBurstLimit",
    }
    assert serverless["plugins"] == ["serverless-python-requirements"]


def test_wheels_are_built_for_the_lambda_architecture(serverless: dict[str, Any]) -> None:
    options = serverless["custom"]["pythonRequirements"]
    assert options["dockerizePip"] is False
    assert options["slim"] is True
    args = " ".join(options["pipCmdExtraArgs"])
    arch = {"arm64": "aarch64", "x86_64": "x86_64"}[serverless["provider"]["architecture"]]
    assert f"--platform manylinux2014_{arch}" in args
    assert "--only-binary=:all:" in args
    assert "--python-version 3.12" in args


def test_package_leaves_out_what_lambda_does_not_run(serverless: dict[str, Any]) -> None:
    patterns = serverless["package"]["patterns"]
    for folder in ("tests", "node_modules", "var", ".venv", "bench", "docs"):
        assert f"!{folder}/**" in patterns


def test_the_bundle_keeps_botocore_models_of_every_service_the_code_calls(
    serverless: dict[str, Any],
) -> None:
    """slimPatterns drops botocore's models of the services Admit never calls (18 MB)."""
    patterns = serverless["custom"]["pythonRequirements"]["slimPatterns"]
    [trim] = [p for p in patterns if p.startswith("botocore/data/")]
    kept = set(re.fullmatch(r"botocore/data/!\(([a-z0-9|-]+)\)/\*\*", trim).group(1).split("|"))
    source = "\n".join(
        path.read_text() for folder in ("web", "models") for path in (ROOT / folder).rglob("*.py")
    )
    called = set(re.findall(r'client\("([a-z0-9-]+)"\)', source))
    called |= set(re.findall(r'create_client\(\s*"([a-z0-9-]+)"', source))
    assert {"dynamodb", "s3", "ses", "ssm", "cognito-idp"} <= called
    assert called <= kept, f"botocore models dropped from the bundle: {called - kept}"
    assert {"sts", "sso", "sso-oidc"} <= kept  # botocore's credential providers


def test_secrets_are_not_resolved_into_the_template(serverless: dict[str, Any]) -> None:
    resolved_at_package_time = [
        item for item in walk(serverless) if isinstance(item, str) and "${ssm:" in item
    ]
    assert not resolved_at_package_time, "an ${ssm:...} variable would be written in clear"
    environment = serverless["provider"]["environment"]
    for setting in (
        "ADMIT_SECRET_KEY",
        "ADMIT_TICKET_SIGNING_KEY",
        "ADMIT_STRIPE_SECRET_KEY",
        "ADMIT_STRIPE_WEBHOOK_SECRET",
    ):
        assert setting not in environment
        assert environment[f"{setting}_PARAMETER"] == f"/admit/${{sls:stage}}/{_slug(setting)}"


def _slug(setting: str) -> str:
    return setting.removeprefix("ADMIT_").lower().replace("_", "-")


def test_lambda_requirements_follow_pyproject() -> None:
    """infra/lambda-requirements.txt = pyproject's dependencies, minus uvicorn, plus what
    only Lambda needs; a dependency added to one list must be added to the other."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lambda_only = {"mangum"}
    laptop_only = {"uvicorn"}

    def by_name(lines: list[str]) -> dict[str, str]:
        parsed = {}
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if line:
                name = re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower()  # type: ignore[union-attr]
                parsed[name] = line
        return parsed

    app = by_name(project["dependencies"])
    bundled = by_name((INFRA / "lambda-requirements.txt").read_text().splitlines())
    expected = {name: spec for name, spec in app.items() if name not in laptop_only}
    for name in lambda_only:
        if name in bundled:
            expected.setdefault(name, bundled[name])
    assert bundled == expected


# -- DynamoDB ---------------------------------------------------------------------------

# The indexes the Store's access patterns need (models/store.py; infra/dynamodb.yml says
# which operation reads which).
REQUIRED_INDEXES = {
    "UsersTable": {"by_email": ["email"]},
    "EventsTable": {"by_organizer": ["organizer_id", "starts_at"],
                    "by_status_start": ["status", "starts_at"]},
    "RegistrationsTable": {"by_user": ["user_id", "created_at"],
                           "by_event": ["event_id", "created_at"],
                           "by_status_hold_expiry": ["status", "hold_expires_at"]},
    "TicketsTable": {"by_registration": ["registration_id", "seat_no"],
                     "by_user": ["user_id", "created_at"],
                     "by_event": ["event_id", "created_at"]},
    "DoorStaffTable": {"by_user": ["user_id", "event_id"]},
    "CheckinsTable": {"by_event": ["event_id", "at"]},
    "SessionsTable": {"by_user": ["user_id", "created_at"]},
}  # fmt: skip


def test_tables_are_on_demand_recoverable_and_encrypted(
    resources: dict[str, dict[str, Any]],
) -> None:
    tables = of_type(resources, "AWS::DynamoDB::Table")
    assert len(tables) >= 5
    for name, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        pitr = props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert pitr is True, name
        assert props["SSESpecification"]["SSEEnabled"] is True, name
        assert table["UpdateReplacePolicy"] == "Retain", name


def test_tables_have_the_indexes_the_store_queries(resources: dict[str, dict[str, Any]]) -> None:
    tables = of_type(resources, "AWS::DynamoDB::Table")
    for table_name, indexes in REQUIRED_INDEXES.items():
        found = {
            gsi["IndexName"]: [key["AttributeName"] for key in gsi["KeySchema"]]
            for gsi in tables[table_name]["Properties"].get("GlobalSecondaryIndexes", [])
        }
        for index, keys in indexes.items():
            assert found.get(index) == keys, f"{table_name}.{index}"


def test_every_key_attribute_is_defined_and_every_definition_used(
    resources: dict[str, dict[str, Any]],
) -> None:
    for name, table in of_type(resources, "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        defined = {attr["AttributeName"] for attr in props["AttributeDefinitions"]}
        schemas = [props["KeySchema"]] + [
            gsi["KeySchema"] for gsi in props.get("GlobalSecondaryIndexes", [])
        ]
        used = {key["AttributeName"] for schema in schemas for key in schema}
        assert defined == used, name


def test_the_app_is_told_every_table_and_may_use_only_those(
    serverless: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    tables = of_type(resources, "AWS::DynamoDB::Table")
    joined = serverless["provider"]["environment"]["ADMIT_DYNAMODB_TABLES"]["Fn::Join"]
    assert joined[0] == ","
    named = {re.search(r"\$\{(\w+)\}", part["Fn::Sub"]).group(1) for part in joined[1]}  # type: ignore[union-attr]
    assert named == set(tables)

    # The web function (the app) may use every table; tests/test_infra_roles.py holds
    # each function's role to the calls its code makes.
    items = web_statement(resources, "StoreItems")["Resource"]
    indexes = web_statement(resources, "StoreIndexes")["Resource"]
    assert {json_key(r) for r in items} == {f"GetAtt:{name}.Arn" for name in tables}
    assert {json_key(r) for r in indexes} == {
        f"Sub:${{{name}.Arn}}/index/*"
        for name, table in tables.items()
        if table["Properties"].get("GlobalSecondaryIndexes")
    }
    assert len(items) == len(tables)
    assert len(set(map(json_key, indexes))) == len(indexes)


def json_key(resource: Any) -> str:
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return "GetAtt:" + ".".join(resource["Fn::GetAtt"])
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        return "Sub:" + resource["Fn::Sub"]
    return repr(resource)


# -- IAM --------------------------------------------------------------------------------


def test_iam_is_least_privilege(resources: dict[str, dict[str, Any]]) -> None:
    for statement in iam_statements(resources):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
        for resource in as_list(statement["Resource"]):
            assert resource != "*", f"{statement['Sid']} grants every resource"
            assert not (isinstance(resource, str) and resource.endswith(":*")), resource


def test_iam_grants_only_the_actions_the_adapters_use(resources: dict[str, dict[str, Any]]) -> None:
    actions = {a for s in iam_statements(resources) for a in as_list(s["Action"])}
    assert "dynamodb:TransactWriteItems" not in actions, "not an IAM action"
    assert "dynamodb:Scan" not in actions, "no Scan on any request path"
    by_service: dict[str, set[str]] = {}
    for action in actions:
        service, name = action.split(":")
        by_service.setdefault(service, set()).add(name)
    # The deliverer's event source mapping reads the outbox table's stream with its role.
    stream = {"DescribeStream", "GetShardIterator", "GetRecords", "ListStreams"}
    assert by_service["dynamodb"] == stream | {
        "GetItem",
        "BatchGetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
    }
    # HeadObject is authorised by GetObject; ListBucket makes a missing object a 404.
    assert by_service["s3"] == {"GetObject", "PutObject", "ListBucket"}
    assert by_service["ses"] == {"SendRawEmail"}
    assert by_service["ssm"] == {"GetParameters"}
    assert by_service["logs"] == {"CreateLogStream", "PutLogEvents"}
    # Exactly the admin operations the Cognito adapter calls (the others need no IAM).
    source = (ROOT / "web" / "adapters" / "identity" / "cognito.py").read_text()
    called = set(re.findall(r'_call\(\s*"(admin_[a-z_]+)"', source))
    assert called, "found no admin calls in the Cognito adapter"
    assert by_service["cognito-idp"] == {
        "".join(part.title() for part in name.split("_")) for name in called
    }
    # No SQS since issue 12: deliveries go through the outbox table and its stream.
    assert set(by_service) == {"dynamodb", "s3", "ses", "ssm", "cognito-idp", "logs"}


def test_s3_grant_is_on_the_tickets_bucket_objects_only(
    resources: dict[str, dict[str, Any]],
) -> None:
    pdfs = [s for s in iam_statements(resources) if s["Sid"] == "TicketPdfs"]
    assert len(pdfs) == 3  # one per function: each renders or signs links to PDFs
    for statement in pdfs:
        assert statement["Resource"] == [{"Fn::Sub": "${TicketsBucket.Arn}/*"}]


# -- S3 and CloudFront ------------------------------------------------------------------


def test_buckets_are_private_and_encrypted(resources: dict[str, dict[str, Any]]) -> None:
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert {"TicketsBucket", "StaticBucket"} <= set(buckets)
    policies = {
        res["Properties"]["Bucket"]["Ref"]: res["Properties"]["PolicyDocument"]
        for res in of_type(resources, "AWS::S3::BucketPolicy").values()
    }
    for name, bucket in buckets.items():
        props = bucket["Properties"]
        block = props["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        algorithm = rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        assert algorithm in {"AES256", "aws:kms", "aws:kms:dsse"}, name
        deny_plain_http = [
            s
            for s in policies[name]["Statement"]
            if s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert deny_plain_http, f"{name} accepts plain HTTP"
        for statement in policies[name]["Statement"]:
            if statement["Effect"] == "Allow":
                assert statement["Principal"] != "*", f"{name} is public"


def test_old_ticket_pdfs_expire(resources: dict[str, dict[str, Any]]) -> None:
    rules = resources["TicketsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(rule["Status"] == "Enabled" and rule["ExpirationInDays"] >= 365 for rule in rules)


# Managed CloudFront policies (ids from the CloudFront Developer Guide, "Use managed cache
# policies" / "Use managed origin request policies" / managed response headers policies).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
EXECUTE_API_DOMAIN = {"Fn::Sub": "${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
SITE_URL = {
    "Fn::If": [
        "HasCustomDomain",
        {"Fn::Sub": "https://${CustomDomainName}"},
        {"Fn::Sub": "https://${SiteDistribution.DomainName}"},
    ]
}


def distribution_config(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (distribution,) = of_type(resources, "AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]


def origin_of(config: dict[str, Any], behavior: dict[str, Any]) -> dict[str, Any]:
    (origin,) = [o for o in config["Origins"] if o["Id"] == behavior["TargetOriginId"]]
    return origin


def test_one_distribution_sends_everything_but_static_to_the_app_uncached(
    resources: dict[str, dict[str, Any]],
) -> None:
    config = distribution_config(resources)
    assert "DefaultRootObject" not in config, "/ is the app's home page"
    default = config["DefaultCacheBehavior"]
    origin = origin_of(config, default)
    assert origin["DomainName"] == EXECUTE_API_DOMAIN
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert set(default["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "POST",
        "PATCH",
        "DELETE",
    }


def test_static_goes_to_the_private_bucket_through_origin_access_control(
    resources: dict[str, dict[str, Any]],
) -> None:
    config = distribution_config(resources)
    (static,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/static/*"]
    origin = origin_of(config, static)
    assert origin["DomainName"] == {"Fn::GetAtt": ["StaticBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["StaticOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert static["CachePolicyId"] == {"Ref": "StaticCachePolicy"}
    assert static["ViewerProtocolPolicy"] == "redirect-to-https"
    assert set(static["AllowedMethods"]) == {"GET", "HEAD"}
    assert static["ResponseHeadersPolicyId"] == SECURITY_HEADERS
    # The bucket lets exactly this distribution read it.
    policy = resources["StaticBucketPolicy"]["Properties"]["PolicyDocument"]
    (read,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    source = read["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${SiteDistribution}")


def test_the_service_worker_and_manifest_stay_with_the_app(
    resources: dict[str, dict[str, Any]],
) -> None:
    """A service worker controls only pages of its own origin (and scope): /sw.js and
    /manifest.webmanifest must come from the app, through the default behaviour."""
    config = distribution_config(resources)
    patterns = [b["PathPattern"] for b in config.get("CacheBehaviors", [])]
    pwa = (ROOT / "web" / "routes" / "pwa.py").read_text()
    for path in ("/sw.js", "/manifest.webmanifest"):
        assert f'Route("{path}"' in pwa, f"the app no longer serves {path}"
        assert not [p for p in patterns if fnmatch.fnmatchcase(path, p)], path


def test_base_url_is_the_distribution_or_the_custom_domain(serverless: dict[str, Any]) -> None:
    environment = serverless["provider"]["environment"]
    assert environment["ADMIT_BASE_URL"] == SITE_URL
    # The pages link /static/ on their own origin; nothing reads a separate static URL.
    assert "ADMIT_STATIC_URL" not in environment


def test_the_app_knows_what_cloudfront_marks_its_requests_with(
    serverless: dict[str, Any], resources: dict[str, dict[str, Any]]
) -> None:
    """The app trusts CloudFront-Viewer-Address only with this value (client_address.py)."""
    config = distribution_config(resources)
    origin = origin_of(config, config["DefaultCacheBehavior"])
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "X-Origin-Verify"
    value = serverless["provider"]["environment"]["ADMIT_ORIGIN_VERIFY"]
    assert header["HeaderValue"] == value
    assert "AWS::StackId" in str(value), "not a value known outside the account"


def test_custom_domain_is_on_the_distribution(
    infra: dict[str, dict[str, Any]], resources: dict[str, dict[str, Any]]
) -> None:
    assert not of_type(resources, "AWS::ApiGatewayV2::DomainName")
    assert not of_type(resources, "AWS::ApiGatewayV2::ApiMapping")
    config = distribution_config(resources)
    assert config["Aliases"] == {
        "Fn::If": ["HasCustomDomain", [{"Ref": "CustomDomainName"}], {"Ref": "AWS::NoValue"}]
    }
    condition, with_domain, without = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasCustomDomain"
    assert with_domain == {
        "AcmCertificateArn": {"Ref": "CustomDomainCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert without == {"CloudFrontDefaultCertificate": True}
    parameters = infra["domain.yml"]["Parameters"]
    assert parameters["CustomDomainName"]["Default"] == "${param:domain}"
    certificate = parameters["CustomDomainCertificateArn"]
    assert certificate["Default"] == "${param:certificateArn}"
    # CloudFront takes certificates from us-east-1 only, whatever the stack's region.
    pattern = re.compile(certificate["AllowedPattern"])
    arn = "arn:aws:acm:{}:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"
    assert pattern.fullmatch(arn.format("us-east-1"))
    assert pattern.fullmatch("")
    assert not pattern.fullmatch(arn.format("eu-west-1"))


# -- Cognito ----------------------------------------------------------------------------


def test_password_policy(resources: dict[str, dict[str, Any]]) -> None:
    (pool,) = of_type(resources, "AWS::Cognito::UserPool").values()
    policy = pool["Properties"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 8
    assert policy["RequireUppercase"] is True
    assert policy["RequireNumbers"] is True
    assert pool["Properties"]["AutoVerifiedAttributes"] == ["email"]


def test_a_changed_email_counts_only_once_verified(resources: dict[str, dict[str, Any]]) -> None:
    """Fails on the pool before issue 10: a changed email counted before it was verified."""
    (pool,) = of_type(resources, "AWS::Cognito::UserPool").values()
    settings = pool["Properties"]["UserAttributeUpdateSettings"]
    assert settings["AttributesRequireVerificationBeforeUpdate"] == ["email"]


def test_the_three_groups_exist(resources: dict[str, dict[str, Any]]) -> None:
    groups = of_type(resources, "AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == [
        "Attendees",
        "DoorStaff",
        "Organizers",
    ]


def test_app_client_has_no_secret_and_password_and_refresh_flows(
    resources: dict[str, dict[str, Any]],
) -> None:
    (client,) = of_type(resources, "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert set(props["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


# -- ticket deliveries (the outbox table's stream) --------------------------------------


def test_no_queue_is_left_from_before_the_outbox(resources: dict[str, dict[str, Any]]) -> None:
    assert of_type(resources, "AWS::SQS::Queue") == {}


def test_the_outbox_table_streams_its_new_jobs(resources: dict[str, dict[str, Any]]) -> None:
    props = resources["OutboxTable"]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_the_deliverer_reads_new_jobs_from_the_stream_and_reports_failed_records(
    serverless: dict[str, Any],
) -> None:
    deliverer = serverless["functions"]["deliverer"]
    assert deliverer["handler"] == "web/lambda.deliver"
    (event,) = deliverer["events"]
    stream = event["stream"]
    assert stream["type"] == "dynamodb"
    assert stream["arn"] == {"Fn::GetAtt": ["OutboxTable", "StreamArn"]}
    assert stream["filterPatterns"] == [{"eventName": ["INSERT"]}]
    assert 1 <= stream["batchSize"] <= 10
    assert stream["functionResponseType"] == "ReportBatchItemFailures"
    assert stream["bisectBatchOnFunctionError"] is True
    # A record that keeps failing is dropped after a few tries: its job stays in the table
    # for the sweeper, so the shard is never held up for long.
    assert 0 <= stream["maximumRetryAttempts"] <= 10
    environment = serverless["provider"]["environment"]
    assert environment["ADMIT_DELIVERY"] == "stream"
    assert not any(name.startswith("ADMIT_DELIVERY_") for name in environment)


def test_dead_delivery_jobs_raise_an_alarm(resources: dict[str, dict[str, Any]]) -> None:
    """The worker's ERROR line is what the metric filters count, from both functions that
    run jobs (the deliverer and the sweeper)."""
    source = (ROOT / "web" / "services" / "outbox_worker.py").read_text()
    assert '"delivery job %s is dead after %d attempt(s)' in source
    filters = of_type(resources, "AWS::Logs::MetricFilter").values()
    groups = set()
    for found in filters:
        props = found["Properties"]
        (metric,) = props["MetricTransformations"]
        if metric["MetricName"] != "DeadDeliveryJobs":
            continue  # the dashboard's figures (tests/test_infra_safety.py)
        assert props["FilterPattern"] == '"delivery job" "is dead after"'
        groups.add(props["LogGroupName"]["Ref"])
    assert groups == {"DelivererLogGroup", "SweeperLogGroup"}
    alarms = of_type(resources, "AWS::CloudWatch::Alarm").values()
    (alarm,) = [
        a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "DeadDeliveryJobs"
    ]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]


# -- alarms and outputs -----------------------------------------------------------------


def test_alarms_cover_errors_5xx_and_throttling(resources: dict[str, dict[str, Any]]) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    metrics = {
        (a["Properties"].get("Namespace"), a["Properties"].get("MetricName"))
        for a in alarms.values()
    }
    assert ("AWS/Lambda", "Errors") in metrics
    assert ("AWS/ApiGateway", "5xx") in metrics
    throttled = {
        stat["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in alarms.values()
        for stat in alarm["Properties"].get("Metrics", [])
        if "MetricStat" in stat
        and stat["MetricStat"]["Metric"]["MetricName"]
        in {"ReadThrottleEvents", "WriteThrottleEvents"}
    }
    assert throttled == set(of_type(resources, "AWS::DynamoDB::Table"))
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}], name


def test_references_name_existing_resources(
    serverless: dict[str, Any],
    infra: dict[str, dict[str, Any]],
    resources: dict[str, dict[str, Any]],
) -> None:
    # Resources the Serverless Framework generates from serverless.yml.
    generated = {
        "HttpApi",
        "HttpApiStage",
        "WebLambdaFunction",
        "WebLogGroup",
        "SweeperLambdaFunction",
        "DelivererLambdaFunction",
        "DelivererLogGroup",
        "SweeperLogGroup",
    }
    parameters = {name for doc in infra.values() for name in doc.get("Parameters") or {}}
    known = set(resources) | generated | parameters
    assert referenced_names(infra) <= known
    assert referenced_names(serverless["provider"]) <= known


def test_outputs(infra: dict[str, dict[str, Any]], resources: dict[str, dict[str, Any]]) -> None:
    outputs = infra["outputs.yml"]["Outputs"]
    assert outputs["SiteUrl"]["Value"] == SITE_URL
    condition, custom, cloudfront = outputs["StripeWebhookUrl"]["Value"]["Fn::If"]
    assert condition == "HasCustomDomain"
    assert custom == {"Fn::Sub": "https://${CustomDomainName}/webhooks/stripe"}
    assert cloudfront == {"Fn::Sub": "https://${SiteDistribution.DomainName}/webhooks/stripe"}
    assert outputs["ApiUrl"]["Value"] == {"Fn::Sub": "https://" + EXECUTE_API_DOMAIN["Fn::Sub"]}
    for key in (
        "SiteDistributionDomain",
        "SiteDistributionId",
        "TicketsBucketName",
        "StaticBucketName",
        "UserPoolId",
        "UserPoolClientId",
    ):
        assert key in outputs
    for table in of_type(resources, "AWS::DynamoDB::Table"):
        base = table.removesuffix("Table")
        assert f"{base}TableName" in outputs
        assert f"{base}TableArn" in outputs


def test_every_ignored_lint_check_has_its_reason() -> None:
    lines = (ROOT / ".cfnlintrc").read_text().splitlines()
    config = yaml.safe_load("\n".join(lines))
    for check in config.get("ignore_checks", []):
        at = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        assert lines[at - 1].strip().startswith("#"), f"{check} has no reason above it"
