"""The operator's safety net in the stack (issue 16): CloudTrail, the budget, the 4xx-rate
alarm, the optional WAF, point-in-time recovery and the dashboard with its metric filters.

Fails before issue 16: none of these resources existed (and no log line fed a sales or
check-in figure).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from models.tickets import CheckinResult
from tests.test_infra import INFRA, ROOT, load, of_type, walk

SERVERLESS = load(ROOT / "serverless.yml")
DOCS = {name: load(path) for name, path in ((p.name, p) for p in sorted(INFRA.glob("*.yml")))}
RESOURCES = {k: v for doc in DOCS.values() for k, v in (doc.get("Resources") or {}).items()}
PARAMETERS = {k: v for doc in DOCS.values() for k, v in (doc.get("Parameters") or {}).items()}
CONDITIONS = {k: v for doc in DOCS.values() for k, v in (doc.get("Conditions") or {}).items()}
PARAMS = SERVERLESS["params"]["default"]


def param_default(parameter: str) -> Any:
    """A stack parameter's default, with the Serverless `${param:x}` it names resolved."""
    default = PARAMETERS[parameter]["Default"]
    match = re.fullmatch(r"\$\{param:(\w+)\}", str(default))
    return PARAMS[match.group(1)] if match else default


# -- CloudTrail ---------------------------------------------------------------------------


def test_the_trail_logs_every_region_with_validation_into_its_bucket() -> None:
    trail = RESOURCES["AuditTrail"]
    props = trail["Properties"]
    assert props["IsLogging"] is True
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["S3BucketName"] == {"Ref": "AuditTrailBucket"}
    assert props["EventSelectors"] == [{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    assert trail["DependsOn"] == "AuditTrailBucketPolicy"
    assert param_default("TrailEnabled") == "true"  # on unless the account has a trail


def test_the_trail_bucket_is_private_encrypted_and_expires_its_logs() -> None:
    props = RESOURCES["AuditTrailBucket"]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    (glacier,) = [r for r in rules.values() if "Transitions" in r]
    assert glacier["Status"] == "Enabled"
    assert glacier["Transitions"] == [{"StorageClass": "GLACIER", "TransitionInDays": 90}]
    (expiry,) = [r for r in rules.values() if "ExpirationInDays" in r]
    assert expiry["ExpirationInDays"] == {"Ref": "TrailRetentionDays"}
    assert PARAMETERS["TrailRetentionDays"]["MinValue"] > 90
    assert param_default("TrailRetentionDays") >= 365


def test_only_cloudtrail_may_write_the_trail_bucket_for_this_trail() -> None:
    policy = RESOURCES["AuditTrailBucketPolicy"]["Properties"]["PolicyDocument"]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert {s["Action"] for s in allows} == {"s3:GetBucketAcl", "s3:PutObject"}
    trail_name = RESOURCES["AuditTrail"]["Properties"]["TrailName"]
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
        assert source.endswith(f":trail/{trail_name}")
    (write,) = [s for s in allows if s["Action"] == "s3:PutObject"]
    assert write["Resource"] == {"Fn::Sub": "${AuditTrailBucket.Arn}/AWSLogs/${AWS::AccountId}/*"}
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"


# -- the budget ---------------------------------------------------------------------------


def test_the_monthly_budget_warns_at_80_percent_actual_and_100_percent_forecast() -> None:
    budget = RESOURCES["MonthlyBudget"]
    props = budget["Properties"]
    assert props["Budget"]["BudgetType"] == "COST"
    assert props["Budget"]["TimeUnit"] == "MONTHLY"
    assert props["Budget"]["BudgetLimit"] == {"Amount": {"Ref": "BudgetAmount"}, "Unit": "USD"}
    assert param_default("BudgetAmount") > 0
    found = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in props["NotificationsWithSubscribers"]
    }
    assert found == {("ACTUAL", 80), ("FORECASTED", 100)}
    for notification in props["NotificationsWithSubscribers"]:
        assert notification["Notification"]["ThresholdType"] == "PERCENTAGE"
        (subscriber,) = notification["Subscribers"]
        assert subscriber["Address"] == {
            "Fn::If": ["HasBudgetEmail", {"Ref": "BudgetEmail"}, {"Ref": "AlertEmail"}]
        }
    assert budget["Condition"] == "HasBudget"


# -- the 4xx-rate alarm -------------------------------------------------------------------


def test_the_4xx_rate_alarm_divides_4xx_by_requests_of_the_http_api() -> None:
    props = RESOURCES["HttpApi4xxRateAlarm"]["Properties"]
    metrics = {m["Id"]: m for m in props["Metrics"]}
    (shown,) = [m for m in metrics.values() if m["ReturnData"]]
    assert "errors / requests" in shown["Expression"]
    for name, metric_id in (("4xx", "errors"), ("Count", "requests")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"]["Namespace"] == "AWS/ApiGateway"
        assert stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
        assert stat["Stat"] == "Sum"
    assert props["Threshold"] == {"Ref": "Api4xxRatePercent"}
    assert 1 <= param_default("Api4xxRatePercent") <= 100
    assert props["TreatMissingData"] == "notBreaching"  # no requests is no problem
    assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}]


# -- WAF ----------------------------------------------------------------------------------


def web_acl_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    return template["Resources"]["SiteWebAcl"]["Properties"]["Rules"]


def test_the_web_acl_limits_each_ip_and_runs_the_aws_common_rules() -> None:
    acl = RESOURCES["SiteWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    rate = rules["RatePerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == {"Ref": "WafRateLimit"}
    managed = rules["AwsCommonRules"]["Statement"]["ManagedRuleGroupStatement"]
    assert (managed["VendorName"], managed["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert rules["AwsCommonRules"]["OverrideAction"] == {"None": {}}


def test_waf_is_off_by_default_and_attached_to_the_distribution_when_on() -> None:
    assert param_default("WafEnabled") == "false"
    assert param_default("WafWebAclArn") == ""
    assert RESOURCES["SiteWebAcl"]["Condition"] == "CreateWebAcl"
    # A CLOUDFRONT web ACL can only be made in us-east-1.
    assert CONDITIONS["CreateWebAcl"] == {
        "Fn::And": [
            {"Fn::Equals": [{"Ref": "WafEnabled"}, "true"]},
            {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
        ]
    }
    config = RESOURCES["SiteDistribution"]["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {
        "Fn::If": [
            "CreateWebAcl",
            {"Fn::GetAtt": ["SiteWebAcl", "Arn"]},
            {"Fn::If": ["HasExternalWebAcl", {"Ref": "WafWebAclArn"}, {"Ref": "AWS::NoValue"}]},
        ]
    }
    pattern = re.compile(PARAMETERS["WafWebAclArn"]["AllowedPattern"])
    assert pattern.fullmatch("")
    arn = "arn:aws:wafv2:{}:123456789012:global/webacl/admit-prod-site/0a1b2c3d"
    assert pattern.fullmatch(arn.format("us-east-1"))
    assert not pattern.fullmatch(arn.format("eu-west-1"))


def test_the_separate_us_east_1_web_acl_has_the_same_rules() -> None:
    """infra/us-east-1/waf.yml is what a stack outside us-east-1 attaches by ARN."""
    standalone = load(INFRA / "us-east-1" / "waf.yml")
    assert web_acl_rules(standalone) == web_acl_rules({"Resources": RESOURCES})
    assert standalone["Resources"]["SiteWebAcl"]["Properties"]["Scope"] == "CLOUDFRONT"
    assert standalone["Parameters"]["WafRateLimit"]["Default"] == PARAMS["wafRateLimit"]
    assert "WebAclArn" in standalone["Outputs"]


# -- point-in-time recovery ---------------------------------------------------------------


def test_every_data_table_keeps_point_in_time_recovery() -> None:
    tables = of_type(RESOURCES, "AWS::DynamoDB::Table")
    assert len(tables) == 12  # issue 15 added the figures table
    for name, table in tables.items():
        spec = table["Properties"]["PointInTimeRecoverySpecification"]
        assert spec["PointInTimeRecoveryEnabled"] is True, name


def test_the_restore_drill_is_documented_with_its_commands() -> None:
    text = (ROOT / "DEPLOYMENT.md").read_text()
    drill = text[text.index("## Restore drill") :]
    for command in (
        "aws dynamodb restore-table-to-point-in-time",
        "--target-table-name",
        "aws dynamodb wait table-exists",
        "--select COUNT",
        "ADMIT_DYNAMODB_TABLES",
    ):
        assert command in drill, command


# -- the dashboard ------------------------------------------------------------------------

LOG_LINES = {
    # metric -> (filter pattern, source file, the line's format string)
    "Sales": ('"sale confirmed"', "web/services/delivery.py", '"sale confirmed: registration %s"'),
    "CheckIns": ('"door check-in"', "web/services/door.py", '"door check-in %s: event %s"'),
    "Admissions": (
        '"door check-in admitted"',
        "web/services/door.py",
        '"door check-in %s: event %s"',
    ),
    "FailedDeliveryAttempts": (
        '"delivery job" "failed (attempt"',
        "web/services/outbox_worker.py",
        '"delivery job %s failed (attempt %d of %d), next try at %s: %s"',
    ),
}


@pytest.mark.parametrize("metric", sorted(LOG_LINES))
def test_each_figure_counts_a_line_the_code_writes(metric: str) -> None:
    pattern, source, line = LOG_LINES[metric]
    assert line in (ROOT / source).read_text(), f"{source} no longer logs {line}"
    filters = [
        f["Properties"]
        for f in of_type(RESOURCES, "AWS::Logs::MetricFilter").values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == metric
    ]
    assert filters
    for found in filters:
        assert found["FilterPattern"] == pattern
    if metric == "Admissions":  # "door check-in <result>": the result of an admission
        assert CheckinResult.ADMITTED.value == "admitted"


def test_the_app_logs_at_info_on_lambda() -> None:
    """Lambda's Python runtime starts at WARNING: the figures' INFO lines must get out."""
    source = (ROOT / "web" / "lambda.py").read_text()
    assert 'logging.getLogger("admit").setLevel(logging.INFO)' in source


def dashboard_body() -> tuple[dict[str, Any], dict[str, str]]:
    template, variables = RESOURCES["OperatorDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    references = set(re.findall(r"\$\{([\w:]+)\}", template))
    filled = template
    for reference in references:
        filled = filled.replace("${" + reference + "}", f"<{reference}>")
    return json.loads(filled), variables


def test_the_dashboard_shows_sales_checkins_errors_latency_and_the_delivery_backlog() -> None:
    body, variables = dashboard_body()
    assert variables == {"Namespace": "Admit/${sls:stage}"}
    widgets = {w["properties"]["title"]: w["properties"] for w in body["widgets"]}
    shown = {
        title: {tuple(str(part) for part in m if not isinstance(part, dict)) for m in w["metrics"]}
        for title, w in widgets.items()
    }
    assert ("<Namespace>", "Sales") in shown["Sales (confirmed orders)"]
    assert ("<Namespace>", "Admissions") in shown["Check-ins"]
    errors = shown["Errors"]
    assert ("AWS/ApiGateway", "5xx", "ApiId", "<HttpApi>") in errors
    for function in ("Web", "Sweeper", "Deliverer"):
        assert ("AWS/Lambda", "Errors", "FunctionName", f"<{function}LambdaFunction>") in errors
    latency = widgets["API latency (ms)"]["metrics"]
    stats = {m[-1]["stat"] for m in latency if m[1] == "Latency"}
    assert stats == {"p50", "p99"}
    backlog = shown["Delivery backlog"]
    assert ("AWS/Lambda", "IteratorAge", "FunctionName", "<DelivererLambdaFunction>") in backlog
    assert ("<Namespace>", "DeadDeliveryJobs") in backlog
    # Every custom metric shown is one a metric filter makes.
    made = {
        f["Properties"]["MetricTransformations"][0]["MetricName"]
        for f in of_type(RESOURCES, "AWS::Logs::MetricFilter").values()
    }
    custom = {m[1] for w in widgets.values() for m in w["metrics"] if m[0] == "<Namespace>"}
    assert custom <= made
    for item in walk(body):
        if isinstance(item, dict) and "region" in item:
            assert item["region"] == "<AWS::Region>"
