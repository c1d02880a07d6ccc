"""The app's AWS resources on moto, made as infra/ makes them, and the Settings that point
the app at them (conftest's `--adapters=aws`)."""

from __future__ import annotations

from typing import Any

from models.aws_session import shared_session
from models.dynamo.tables import LAYOUT, create_tables
from tests.aws_fixtures import make_bucket, verify_sender
from tests.cognito_pool import REGION, make_pool

TABLES = {kind: f"admit-test-{kind.replace('_', '-')}" for kind in LAYOUT}
BUCKET = "admit-test-tickets"
SENDER = "tickets@admit.example"


async def aws_settings(endpoint: str) -> dict[str, Any]:
    """Make the tables, bucket, user pool and mail sender; the Settings changes to use them."""
    async with shared_session().create_client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION
    ) as dynamodb:
        await create_tables(dynamodb, TABLES)
    await make_bucket(endpoint, REGION, BUCKET)
    await verify_sender(endpoint, REGION, SENDER)
    pool = await make_pool(endpoint)
    return {
        "store": "dynamodb",
        "files": "s3",
        "identity": "cognito",
        "mail": "ses",
        "aws_region": REGION,
        "aws_endpoint_url": endpoint,
        "dynamodb_tables": tuple(TABLES.items()),
        "s3_bucket": BUCKET,
        "mail_from": f"Admit <{SENDER}>",
        "cognito_user_pool_id": pool.pool_id,
        "cognito_client_id": pool.client_id,
        "cognito_issuer": pool.issuer,
        "cognito_jwks_url": pool.jwks_url,
    }
