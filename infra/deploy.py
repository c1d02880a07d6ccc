"""`make deploy STAGE=…` and `make destroy STAGE=…` (DEPLOYMENT.md follows these steps).

    .venv/bin/python -m infra.deploy deploy --stage prod [--secrets-file F] [--param k=v]...
        [--dry-run]
    .venv/bin/python -m infra.deploy destroy --stage dev [--keep-data 1|0] [--dry-run]

deploy, after `make infra-package` built build/serverless-<stage> (the bundle with its
bytecode, and the template):
1. secrets: the stage's SSM parameters (infra/deploy_secrets.py); existing ones are kept;
2. stack: `serverless deploy --package build/serverless-<stage>` (creates or updates
   admit-<stage>; the SES identity and everything else is in it);
3. static: static/ into the static bucket with hashed names (infra/static_upload.py);
4. invalidation: CloudFront drops the plain names that changed;
5. smoke: GET <SiteUrl>/healthz and the hashed stylesheet a page names answer 200.

destroy keeps the data (tables, the tickets bucket, the user pool, the audit trail's
bucket) unless `--keep-data 0`. CloudFormation applies a resource's DeletionPolicy as the
deployed template says, so when the stack's policies do not already say what is asked
(Retain to keep, Delete with deletion protection off to delete), the stack is first
deployed again with the matching params. Then the buckets it will delete are emptied
(CloudFormation cannot delete a bucket with objects) and `serverless remove` runs.

`--dry-run` prints each step (the commands, the policy decision) and calls nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVERLESS = ["npx", "--no-install", "serverless"]
# What `--keep-data` decides: resource type -> the params that set its DeletionPolicy.
DATA_TYPES = ("AWS::DynamoDB::Table", "AWS::Cognito::UserPool")
DATA_BUCKETS = ("TicketsBucket", "AuditTrailBucket")  # logical ids; StaticBucket is no data
KEEP_PARAMS = (
    "tableDeletionPolicy=Retain",
    "bucketDeletionPolicy=Retain",
    "userPoolDeletionPolicy=Retain",
)
DELETE_PARAMS = (
    "tableDeletionPolicy=Delete",
    "bucketDeletionPolicy=Delete",
    "userPoolDeletionPolicy=Delete",
    "deletionProtection=false",
    "userPoolDeletionProtection=INACTIVE",
)


class DeployError(Exception):
    pass


@dataclass
class Context:
    stage: str
    region: str
    params: Sequence[str]
    dry_run: bool
    say: Callable[[str], None] = print
    endpoint_url: str | None = None

    @property
    def stack(self) -> str:
        return f"admit-{self.stage}"

    def client(self, service: str) -> Any:
        import boto3

        region = "us-east-1" if service == "cloudfront" else self.region
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint_url)

    def run(self, command: list[str]) -> None:
        self.say("$ " + shlex.join(command))
        if not self.dry_run:
            subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 (our own argv)

    def serverless(self, action: str, *extra: str, params: Sequence[str] = ()) -> None:
        flags = [f"--param={p}" for p in (*self.params, *params)]
        self.run(
            [*SERVERLESS, action, "--stage", self.stage, "--region", self.region, *extra, *flags]
        )


def stack_outputs(context: Context) -> dict[str, str]:
    stacks = context.client("cloudformation").describe_stacks(StackName=context.stack)
    return {o["OutputKey"]: o["OutputValue"] for o in stacks["Stacks"][0].get("Outputs", [])}


def smoke(site_url: str, stylesheet: str | None = None, timeout: float = 15) -> list[str]:
    """GET /healthz (and the stylesheet, which must be immutable); the lines to report."""
    lines = []
    if not site_url.startswith(("https://", "http://")):
        raise DeployError(f"smoke: {site_url!r} is not an http(s) URL")
    for path in ["/healthz", *([stylesheet] if stylesheet else [])]:
        try:
            url = site_url.rstrip("/") + path
            with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (checked)
                status, cache = answer.status, answer.headers.get("Cache-Control", "")
        except OSError as exc:
            raise DeployError(f"smoke: {path} did not answer: {exc}") from exc
        if status != 200:
            raise DeployError(f"smoke: {path} answered {status}")
        if path != "/healthz" and "immutable" not in cache:
            raise DeployError(f"smoke: {path} has Cache-Control {cache!r}, not immutable")
        lines.append(f"smoke: {path} 200")
    return lines


def deploy(context: Context, secrets_file: Path | None) -> None:
    from infra.deploy_secrets import SECRETS, parameter_name, put_secrets, read_file
    from infra.static_upload import invalidate, upload
    from web.static_urls import StaticUrls

    package = ROOT / "build" / f"serverless-{context.stage}"
    if not (package / "admit.zip").exists() and not context.dry_run:
        raise DeployError(f"{package} has no bundle: run make infra-package STAGE={context.stage}")

    context.say(f"1. secrets: SSM /admit/{context.stage}/* (existing parameters are kept)")
    if context.dry_run:
        for secret in SECRETS:
            context.say(f"   {parameter_name(context.stage, secret)} ({secret.kind})")
    else:
        given = read_file(secrets_file) if secrets_file else {}
        ask = None
        if sys.stdin.isatty():
            from infra.deploy_secrets import _prompt as ask
        for name, what in put_secrets(context.client("ssm"), context.stage, given, ask=ask).items():
            context.say(f"   {name}: {what}")

    context.say(f"2. stack {context.stack}")
    context.serverless("deploy", "--package", str(package.relative_to(ROOT)))

    context.say("3. static files")
    if context.dry_run:
        context.say(
            "   static/ -> s3://<StaticBucketName>/static/ (hashed: a year; plain: no-cache)"
        )
        context.say("4. CloudFront invalidation of the plain names that changed")
        context.say("5. smoke: GET <SiteUrl>/healthz and the hashed app.css")
        return
    outputs = stack_outputs(context)
    result = upload(context.client("s3"), outputs["StaticBucketName"])
    context.say(f"   uploaded {len(result.uploaded)}, unchanged {len(result.unchanged)}")
    context.say("4. CloudFront invalidation")
    made = invalidate(
        context.client("cloudfront"), outputs["SiteDistributionId"], result.invalidate
    )
    context.say(f"   {made}: {' '.join(result.invalidate)}" if made else "   nothing changed")
    context.say("5. smoke")
    stylesheet = StaticUrls(ROOT / "static", hashed=True)("css/app.css")
    for line in smoke(outputs["SiteUrl"], stylesheet):
        context.say(f"   {line}")
    context.say(f"deployed: {outputs['SiteUrl']}")


@dataclass(frozen=True)
class DestroyPlan:
    redeploy_params: tuple[str, ...]  # empty: the deployed policies already say it
    empty_buckets: tuple[str, ...]  # logical ids


def destroy_plan(template: dict[str, Any], keep_data: bool) -> DestroyPlan:
    """What has to happen before `serverless remove`, from the deployed template."""
    resources = template["Resources"]
    data = {
        logical: body
        for logical, body in resources.items()
        if body["Type"] in DATA_TYPES or logical in DATA_BUCKETS
    }
    want = "Retain" if keep_data else "Delete"
    policies_ok = all(body.get("DeletionPolicy", "Delete") == want for body in data.values())
    protected = any(
        body["Properties"].get("DeletionProtectionEnabled") in (True, "true")
        or body["Properties"].get("DeletionProtection") == "ACTIVE"
        for body in data.values()
    )
    redeploy = (
        ()
        if policies_ok and (keep_data or not protected)
        else (KEEP_PARAMS if keep_data else DELETE_PARAMS)
    )
    buckets = [
        logical
        for logical, body in resources.items()
        if body["Type"] == "AWS::S3::Bucket"
        and logical != "ServerlessDeploymentBucket"  # serverless remove empties it
        and (keep_data is False or logical not in DATA_BUCKETS)
    ]
    return DestroyPlan(tuple(redeploy), tuple(sorted(buckets)))


def _empty_bucket(s3: Any, bucket: str) -> int:
    count = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if items:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": items, "Quiet": True})
            count += len(items)
    return count


def destroy(context: Context, keep_data: bool, template: dict[str, Any] | None = None) -> None:
    cloudformation = context.client("cloudformation")
    if template is None:
        body = cloudformation.get_template(StackName=context.stack)["TemplateBody"]
        template = json.loads(body) if isinstance(body, str) else body
    plan = destroy_plan(template, keep_data)
    kept = "kept" if keep_data else "DELETED"
    context.say(f"destroy {context.stack}: data (tables, tickets bucket, user pool) {kept}")
    if plan.redeploy_params:
        context.say("1. the deployed policies differ: deploy again with them")
        context.serverless("deploy", params=plan.redeploy_params)
    else:
        context.say("1. the deployed policies already say so")
    context.say(f"2. empty the buckets the stack deletes: {', '.join(plan.empty_buckets)}")
    if not context.dry_run:
        s3 = context.client("s3")
        for logical in plan.empty_buckets:
            try:
                resource = cloudformation.describe_stack_resource(
                    StackName=context.stack, LogicalResourceId=logical
                )["StackResourceDetail"]
            except cloudformation.exceptions.ClientError:
                context.say(f"   {logical}: not in this stack (its condition is off)")
                continue
            removed = _empty_bucket(s3, resource["PhysicalResourceId"])
            context.say(f"   {logical}: {removed} objects")
    context.say("3. remove the stack")
    context.serverless("remove")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("deploy", "destroy"))
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-west-1"))
    parser.add_argument("--param", action="append", default=[], help="serverless param k=v")
    parser.add_argument("--secrets-file", type=Path)
    parser.add_argument("--keep-data", choices=("0", "1"), default="1")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    context = Context(args.stage, args.region, args.param, args.dry_run)
    try:
        if args.action == "deploy":
            deploy(context, args.secrets_file)
        elif args.dry_run:
            # Without AWS there is no deployed template: plan against the packaged one.
            packaged = ROOT / "build" / f"serverless-{args.stage}"
            path = packaged / "cloudformation-template-update-stack.json"
            template = json.loads(path.read_text()) if path.exists() else None
            if template is None:
                raise DeployError(f"--dry-run reads {path}: run make infra-package first")
            destroy(context, args.keep_data == "1", template)
        else:
            destroy(context, args.keep_data == "1")
    except (DeployError, subprocess.CalledProcessError) as exc:
        print(f"{args.action} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
