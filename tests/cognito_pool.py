"""A Cognito user pool on moto made from infra/cognito.yml itself, so the tests run against
the pool the deployment creates (password policy, username attributes, groups, client)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from models.aws_session import shared_session

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"

# CloudFormation properties that are not parameters of the API calls (or that moto lacks).
_NOT_API = {"UserPoolName", "DeletionProtection", "EmailConfiguration", "UserPoolId"}


@dataclass(frozen=True)
class Pool:
    endpoint: str
    pool_id: str
    client_id: str

    @property
    def jwks_url(self) -> str:
        # moto serves each pool's keys at its own address (real pools: the issuer's).
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.pool_id}"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads the template's `!Ref`/`!GetAtt`/`!Sub` as plain None: the tests fill those."""


_CloudFormationLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def pool_resources() -> dict[str, dict[str, Any]]:
    text = (ROOT / "infra" / "cognito.yml").read_text()
    return yaml.load(text, Loader=_CloudFormationLoader)["Resources"]


def _api_arguments(properties: dict[str, Any]) -> dict[str, Any]:
    arguments = {}
    for name, value in properties.items():
        if name in _NOT_API or (isinstance(value, str) and "${" in value):
            continue
        arguments[name] = value
    return arguments


async def make_pool(endpoint: str, name: str = "admit-test") -> Pool:
    resources = pool_resources()
    async with shared_session().create_client(
        "cognito-idp", endpoint_url=endpoint, region_name=REGION
    ) as cognito:
        pool = resources["UserPool"]["Properties"]
        made = await cognito.create_user_pool(PoolName=name, **_api_arguments(pool))
        pool_id = made["UserPool"]["Id"]
        client = resources["UserPoolClient"]["Properties"]
        made_client = await cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=f"{name}-web", **_api_arguments(client)
        )
        for resource in resources.values():
            if resource["Type"] == "AWS::Cognito::UserPoolGroup":
                await cognito.create_group(
                    UserPoolId=pool_id, **_api_arguments(resource["Properties"])
                )
    return Pool(endpoint, pool_id, made_client["UserPoolClient"]["ClientId"])


def moto_user(pool: Pool, email: str) -> Any:
    """moto's own record of a pool user (it runs in this process)."""
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    user_pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool.pool_id]
    return user_pool._get_user(email)


def mailed_code(pool: Pool, email: str) -> str:
    """The code Cognito would have mailed last (tests/faithful_cognito.py keeps it)."""
    from tests.faithful_cognito import pending_code

    user = moto_user(pool, email)
    assert user is not None, f"no Cognito account for {email}"
    code = pending_code(user)
    assert code, f"no code is pending for {email}"
    return code
