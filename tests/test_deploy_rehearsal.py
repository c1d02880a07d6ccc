"""The deploy rehearsal's own parts (infra/rehearsal.py): the rehearsal copy of the
template, the list of what moto's CloudFormation cannot make, and the check of the tables a
stack made against models/dynamo/tables.py, on moto's CloudFormation. `make
deploy-rehearsal` runs the whole of it on the packaged template."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto.cloudformation.parsing import get_model_map

from infra.rehearsal import (
    STAND_INS,
    UNSUPPORTED,
    RehearsalFailed,
    Stack,
    check_tables,
    parameter_for,
    rehearsal_template,
)

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _infra_types() -> set[str]:
    types = set()
    for path in (ROOT / "infra").glob("*.yml"):
        resources = yaml.load(path.read_text(), Loader=_Loader).get("Resources") or {}
        types |= {body["Type"] for body in resources.values()}
    return types


def test_the_list_of_what_moto_cannot_make_is_true_both_ways() -> None:
    """Would fail before: nothing said which resources a rehearsal on moto leaves out."""
    moto_makes = set(get_model_map())
    assert not set(UNSUPPORTED) & moto_makes, "moto makes these now: take them off the list"
    assert set(STAND_INS) <= set(UNSUPPORTED)
    missing = _infra_types() - moto_makes - set(UNSUPPORTED)
    assert not missing, f"infra/ uses types neither moto nor UNSUPPORTED knows: {missing}"
    documented = (ROOT / "docs" / "DEPLOY_REHEARSAL.md").read_text()
    for kind in UNSUPPORTED:
        assert f"`{kind}`" in documented


def test_references_to_left_out_resources_become_parameters() -> None:
    template: dict[str, Any] = {
        "Resources": {
            "UserPool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
            "Site": {"Type": "AWS::CloudFront::Distribution", "Properties": {}},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["UserPool", "Topic"],
                "Properties": {
                    "Environment": {
                        "Variables": {
                            "POOL": {"Ref": "UserPool"},
                            "ARN": {"Fn::GetAtt": ["UserPool", "Arn"]},
                            "URL": {"Fn::Sub": "https://${Site.DomainName}/x/${UserPool}"},
                            "TOPIC": {"Ref": "Topic"},
                        }
                    }
                },
            },
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        },
        "Outputs": {"Pool": {"Value": {"Ref": "UserPool"}}},
    }
    made = rehearsal_template(template)
    assert made.removed == {
        "UserPool": "AWS::Cognito::UserPool",
        "Site": "AWS::CloudFront::Distribution",
    }
    function = made.template["Resources"]["Fn"]
    assert function["DependsOn"] == ["Topic"]
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["POOL"] == {"Ref": parameter_for("UserPool")}
    assert variables["ARN"] == {"Ref": parameter_for("UserPool", "Arn")}
    assert variables["URL"] == {
        "Fn::Sub": "https://${RehearsalSiteDomainName}/x/${RehearsalUserPool}"
    }
    assert variables["TOPIC"] == {"Ref": "Topic"}
    assert made.template["Outputs"]["Pool"]["Value"] == {"Ref": "RehearsalUserPool"}
    assert set(made.template["Parameters"]) == {
        "RehearsalUserPool",
        "RehearsalUserPoolArn",
        "RehearsalSiteDomainName",
    }
    assert "UserPool" in template["Resources"]  # the packaged template is left as it was


def test_a_type_nobody_listed_stops_the_rehearsal() -> None:
    template = {"Resources": {"Q": {"Type": "AWS::Pipes::Pipe", "Properties": {}}}}
    with pytest.raises(RehearsalFailed, match="AWS::Pipes::Pipe"):
        rehearsal_template(template)


# -- the tables a stack makes, against the code's layout ------------------------------------


def _tables_template(stage: str) -> dict[str, Any]:
    text = (ROOT / "infra" / "dynamodb.yml").read_text()
    for variable, value in {
        "${param:tableDeletionPolicy}": "Delete",
        "${param:deletionProtection}": "false",
        "${self:service}": "admit",
        "${sls:stage}": stage,
    }.items():
        text = text.replace(variable, value)
    resources = yaml.safe_load(text)["Resources"]
    outputs = {f"{logical}Name": {"Value": {"Ref": logical}} for logical in resources}
    return {"Resources": resources, "Outputs": outputs}


def _stack(endpoint: str, name: str, template: dict[str, Any]) -> Stack:
    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint, region_name=REGION)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    made = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert made["StackStatus"] == "CREATE_COMPLETE", made
    outputs = {o["OutputKey"]: o["OutputValue"] for o in made.get("Outputs", [])}
    return Stack(name, endpoint, REGION, outputs, {}, {})


def test_the_stacks_tables_are_what_the_code_expects(moto: str, aws_credentials: None) -> None:
    stack = _stack(moto, "admit-t", _tables_template("t"))
    assert check_tables(stack) == []


def test_a_table_that_differs_from_the_code_fails_the_rehearsal(
    moto: str, aws_credentials: None
) -> None:
    """Would fail before: nothing compared infra/dynamodb.yml's stack with the code's layout."""
    template = copy.deepcopy(_tables_template("u"))
    resources = template["Resources"]
    registrations = resources["RegistrationsTable"]["Properties"]
    registrations["GlobalSecondaryIndexes"][1]["IndexName"] = "by_event_id"
    del resources["OutboxTable"]["Properties"]["StreamSpecification"]
    resources["SessionsTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"] = "ttl"
    resources["TicketsTable"]["Properties"]["AttributeDefinitions"] = [
        {**a, "AttributeType": "S"} if a["AttributeName"] == "seat_no" else a
        for a in resources["TicketsTable"]["Properties"]["AttributeDefinitions"]
    ]
    del template["Outputs"]["CheckinsTableName"]
    stack = _stack(moto, "admit-u", template)

    problems = "\n".join(check_tables(stack))

    assert "table registrations: no index by_event " in problems
    assert "table outbox: no stream" in problems
    assert "table sessions: TTL" in problems
    assert "table tickets: attribute seat_no is S, the code uses N" in problems
    assert "table checkins: the stack has no output CheckinsTableName" in problems
    assert len(problems.splitlines()) == 5, problems


def test_the_functions_call_aws_in_the_stacks_own_region() -> None:
    """Would fail before: without ADMIT_AWS_REGION the app called eu-west-1 (the setting's
    default) from a stack deployed with --region elsewhere; the rehearsal checks the value."""
    from tests.test_infra_roles import SERVERLESS

    assert SERVERLESS["provider"]["environment"]["ADMIT_AWS_REGION"] == {"Ref": "AWS::Region"}
