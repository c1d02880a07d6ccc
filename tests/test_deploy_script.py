"""infra/deploy.py, the steps of `make deploy` and `make destroy`: what destroy must do
first to keep (or drop) the data, the dry run's steps, and the smoke request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from infra.deploy import (
    DELETE_PARAMS,
    KEEP_PARAMS,
    Context,
    DeployError,
    deploy,
    destroy,
    destroy_plan,
    smoke,
)
from tests.moto_server import refused_port


def _template(policy: str, protection: bool) -> dict[str, Any]:
    table = {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": policy,
        "Properties": {"DeletionProtectionEnabled": protection},
    }
    bucket = {"Type": "AWS::S3::Bucket", "DeletionPolicy": policy, "Properties": {}}
    return {
        "Resources": {
            "UsersTable": table,
            "UserPool": {
                "Type": "AWS::Cognito::UserPool",
                "DeletionPolicy": policy,
                "Properties": {"DeletionProtection": "ACTIVE" if protection else "INACTIVE"},
            },
            "TicketsBucket": bucket,
            "AuditTrailBucket": bucket,
            "StaticBucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        }
    }


def test_destroy_keeps_the_data_of_a_stage_that_would_delete_it() -> None:
    """Would fail before: `serverless remove` of a dev stage (DeletionPolicy Delete)
    deleted its tables, and nothing offered to keep them."""
    plan = destroy_plan(_template("Delete", protection=False), keep_data=True)
    assert plan.redeploy_params == KEEP_PARAMS
    assert plan.empty_buckets == ("StaticBucket",)


def test_destroy_of_prod_keeps_its_data_as_it_is() -> None:
    plan = destroy_plan(_template("Retain", protection=True), keep_data=True)
    assert plan.redeploy_params == ()
    assert plan.empty_buckets == ("StaticBucket",)


def test_keep_data_0_lifts_retain_and_protection_and_empties_the_data_buckets() -> None:
    plan = destroy_plan(_template("Retain", protection=True), keep_data=False)
    assert plan.redeploy_params == DELETE_PARAMS
    assert plan.empty_buckets == ("AuditTrailBucket", "StaticBucket", "TicketsBucket")
    # Already Delete but protected: protection must come off first.
    assert destroy_plan(_template("Delete", True), False).redeploy_params == DELETE_PARAMS
    assert destroy_plan(_template("Delete", False), False).redeploy_params == ()


def test_the_dry_runs_list_every_step_and_call_nothing() -> None:
    said: list[str] = []
    context = Context("prod", "eu-west-1", ["mailDomain=example.org"], True, said.append)
    deploy(context, None)
    steps = [line.split(" ", 1)[0] for line in said if line[:1].isdigit()]
    assert steps == ["1.", "2.", "3.", "4.", "5."]
    assert (
        "$ npx --no-install serverless deploy --stage prod --region eu-west-1 "
        "--package build/serverless-prod --param=mailDomain=example.org"
    ) in said

    said.clear()
    destroy(context, keep_data=True, template=_template("Delete", False))
    assert any("tableDeletionPolicy=Retain" in line for line in said)
    assert (
        said[-1] == "$ npx --no-install serverless remove --stage prod --region eu-west-1 "
        "--param=mailDomain=example.org"
    )


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path not in ("/healthz", "/static/css/app.0123456789.css", "/static/plain.css"):
            self.send_error(404)
            return
        self.send_response(200)
        cache = (
            "no-cache"
            if self.path == "/static/plain.css"
            else "public, max-age=31536000, immutable"
        )
        self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_smoke_request_passes_a_site_that_answers(site: str) -> None:
    assert smoke(site, "/static/css/app.0123456789.css") == [
        "smoke: /healthz 200",
        "smoke: /static/css/app.0123456789.css 200",
    ]


def test_the_smoke_request_fails_a_deploy_that_does_not_answer(site: str) -> None:
    with pytest.raises(DeployError, match="not immutable"):
        smoke(site, "/static/plain.css")
    with pytest.raises(DeployError, match="did not answer"):
        smoke(site, "/static/css/app.9999999999.css")
    with refused_port() as port, pytest.raises(DeployError, match="did not answer"):
        smoke(f"http://127.0.0.1:{port}", timeout=2)
