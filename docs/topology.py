"""Draws docs/topology.png, the AWS topology, from the sources that define it:

    make diagram        (installs Debian's graphviz and the `diagrams` package if missing)
    .venv/bin/python docs/topology.py [--out docs/topology]

The functions are serverless.yml's, the tables models/dynamo/tables.py's, the buckets the
S3 resources of infra/*.yml: adding one of those and running this again keeps the picture
true. The edges are what each function calls (the same calls infra/iam.yml grants and
tests/test_infra_roles.py checks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _CloudFormation(yaml.SafeLoader):
    """Reads CloudFormation YAML, its `!Ref`-style tags as plain values."""


_CloudFormation.add_multi_constructor("!", lambda loader, suffix, node: None)


def functions() -> list[str]:
    config = yaml.load((ROOT / "serverless.yml").read_text(), Loader=_CloudFormation)  # noqa: S506 (a SafeLoader)
    return list(config["functions"])


def buckets() -> list[str]:
    found = []
    for path in sorted((ROOT / "infra").glob("*.yml")):
        template: dict[str, Any] = yaml.load(path.read_text(), Loader=_CloudFormation)  # noqa: S506 (a SafeLoader) or {}
        for name, resource in (template.get("Resources") or {}).items():
            if isinstance(resource, dict) and resource.get("Type") == "AWS::S3::Bucket":
                found.append(name)
    return found


def tables() -> list[str]:
    from models.dynamo.tables import LAYOUT

    return list(LAYOUT)


def draw(out: Path) -> None:
    # Imported here: the package is installed by `make diagram` only, not by `make install`.
    from diagrams import Cluster, Diagram, Edge
    from diagrams.aws.compute import Lambda
    from diagrams.aws.database import DynamodbStreams, DynamodbTable
    from diagrams.aws.engagement import SimpleEmailServiceSes
    from diagrams.aws.integration import EventbridgeScheduler
    from diagrams.aws.management import Cloudtrail
    from diagrams.aws.network import APIGateway, CloudFront
    from diagrams.aws.security import Cognito
    from diagrams.aws.storage import SimpleStorageServiceS3Bucket
    from diagrams.onprem.client import User
    from diagrams.saas.payment import Stripe

    names = functions()
    assert {"web", "sweeper", "deliverer"} <= set(names), names
    bucket_names = buckets()
    table_names = tables()
    others = [name for name in table_names if name != "outbox"]
    graph = {
        "pad": "0.3",
        "nodesep": "0.4",
        "ranksep": "1.2",
        "fontsize": "20",
        "splines": "spline",
    }
    with Diagram(
        "Admit on AWS",
        filename=str(out),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=graph,
    ):
        browser = User("browser\n(phone, PWA)")
        cdn = CloudFront("CloudFront")
        api = APIGateway("HTTP API")
        stripe = Stripe("Stripe")
        with Cluster("Lambda functions"):
            web = Lambda("web")
            sweeper = Lambda("sweeper")
            deliverer = Lambda("deliverer")
        schedule = EventbridgeScheduler("every minute")
        pool = Cognito("Cognito user pool\n(Organizers, Attendees,\nDoorStaff)")
        ses = SimpleEmailServiceSes("SES")
        with Cluster("DynamoDB"):
            rows = [", ".join(others[i : i + 3]) for i in range(0, len(others), 3)]
            data = DynamodbTable(f"{len(others)} tables:\n" + ",\n".join(rows))
            outbox = DynamodbTable("outbox")
            stream = DynamodbStreams("outbox stream\n(new jobs)")
        with Cluster("S3"):
            bucket = {name: SimpleStorageServiceS3Bucket(name) for name in bucket_names}
        trail = Cloudtrail("CloudTrail")

        browser >> Edge(label="HTTPS") >> cdn
        cdn >> Edge(label="/static/*") >> bucket["StaticBucket"]
        cdn >> Edge(label="pages, /api") >> api >> web
        stripe >> Edge(label="webhooks", style="dashed") >> api
        web >> Edge(label="charges, refunds") >> stripe
        web >> Edge(label="sign-in") >> pool
        web >> data
        web >> Edge(label="jobs, with the\nconfirmation") >> outbox
        web >> Edge(label="PDFs") >> bucket["TicketsBucket"]
        schedule >> sweeper
        sweeper >> Edge(label="run-out holds") >> data
        sweeper >> Edge(label="jobs due again") >> outbox
        outbox >> stream >> deliverer
        deliverer >> Edge(label="PDFs") >> bucket["TicketsBucket"]
        deliverer >> Edge(label="tickets mail") >> ses
        deliverer >> data
        trail >> bucket["AuditTrailBucket"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "topology")
    args = parser.parse_args(argv)
    draw(args.out)
    print(f"wrote {args.out}.png")


if __name__ == "__main__":
    main()
