"""The static upload of `make deploy` (infra/static_upload.py) on moto's S3, and the hashed
names the deployed pages use (web/static_urls.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from infra.static_upload import IMMUTABLE, REVALIDATE, invalidate, plan, upload
from web.static_urls import content_hash, hashed_name, split_hashed

REGION = "eu-west-1"


@pytest.fixture
def s3(moto: str, aws_credentials: None) -> Any:
    client = boto3.client("s3", endpoint_url=moto, region_name=REGION)
    client.create_bucket(Bucket="static", CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "js").mkdir()
    (folder / "css" / "app.css").write_text("body { color: black }\n")
    (folder / "js" / "door.js").write_text('import { x } from "./door-codes.js";\n')
    (folder / "js" / "door-codes.js").write_text("export const x = 1;\n")
    (folder / "offline.html").write_text("<p>offline</p>\n")
    (folder / "sw.js").write_text("// served by the app\n")
    (folder / "manifest.webmanifest").write_text("{}\n")
    return folder


def _head(s3: Any, key: str) -> dict[str, Any]:
    return s3.head_object(Bucket="static", Key=key)


def test_each_file_goes_up_hashed_for_a_year_and_plain_revalidated(
    s3: Any, static_dir: Path
) -> None:
    """Would fail before: there was no upload step (DEPLOYMENT.md had a bare `aws s3 sync`)."""
    result = upload(s3, "static", static_dir)

    css = hashed_name("css/app.css", content_hash((static_dir / "css/app.css").read_bytes()))
    assert css.startswith("css/app.")
    assert css.endswith(".css")
    assert css != "css/app.css"
    head = _head(s3, f"static/{css}")
    assert head["CacheControl"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "text/css; charset=utf-8"
    plain = _head(s3, "static/css/app.css")
    assert plain["CacheControl"] == REVALIDATE == "no-cache"
    # HTML is never given a long-lived name.
    assert _head(s3, "static/offline.html")["CacheControl"] == "no-cache"
    assert not any(
        key.startswith("static/offline.") and key != "static/offline.html"
        for key in result.uploaded
    )
    # The app serves these two itself.
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="static")["Contents"]}
    assert "static/sw.js" not in keys
    assert "static/manifest.webmanifest" not in keys
    assert keys == {u.key for u in plan(static_dir)} == set(result.uploaded)
    assert result.invalidate == []  # nothing was there before: nothing cached to drop


def test_a_second_upload_sends_and_invalidates_only_what_changed(s3: Any, static_dir: Path) -> None:
    """Would fail before: every deploy re-sent everything and nothing was invalidated."""
    first = upload(s3, "static", static_dir)
    old_css = next(k for k in first.uploaded if re.fullmatch(r"static/css/app\.\w{10}\.css", k))

    again = upload(s3, "static", static_dir)
    assert again.uploaded == []
    assert again.invalidate == []

    (static_dir / "css" / "app.css").write_text("body { color: navy }\n")
    changed = upload(s3, "static", static_dir)
    new_css = next(
        k
        for k in changed.uploaded
        if k.startswith("static/css/app.") and k != old_css and k != "static/css/app.css"
    )
    assert sorted(changed.uploaded) == sorted(["static/css/app.css", new_css])
    assert changed.invalidate == ["/static/css/app.css"]
    # The old hashed name stays for pages rendered before the deploy.
    assert _head(s3, old_css)["CacheControl"] == IMMUTABLE


def test_the_dry_run_uploads_nothing(s3: Any, static_dir: Path) -> None:
    result = upload(s3, "static", static_dir, dry_run=True)
    assert result.uploaded
    assert "Contents" not in s3.list_objects_v2(Bucket="static")


def test_the_invalidation_names_the_changed_paths(moto: str, aws_credentials: None) -> None:
    cloudfront = boto3.client("cloudfront", endpoint_url=moto, region_name="us-east-1")
    made = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "admit-test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "static",
                        "DomainName": "static.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "static",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        }
    )
    distribution = made["Distribution"]["Id"]
    assert invalidate(cloudfront, distribution, []) is None
    made_id = invalidate(cloudfront, distribution, ["/static/js/door.js", "/static/css/app.css"])
    assert made_id
    listed = cloudfront.get_invalidation(DistributionId=distribution, Id=made_id)
    assert listed["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == [
        "/static/css/app.css",
        "/static/js/door.js",
    ]


def test_hashed_names_round_trip() -> None:
    assert hashed_name("vendor/htmx.min.js", "0123456789") == "vendor/htmx.min.0123456789.js"
    assert split_hashed("vendor/htmx.min.0123456789.js") == ("vendor/htmx.min.js", "0123456789")
    assert split_hashed("vendor/htmx.min.js") is None
    assert hashed_name("LICENSE", "0123456789") == "LICENSE.0123456789"


async def test_pages_use_plain_names_unless_hashed_urls_are_on(client: httpx.AsyncClient) -> None:
    """`make run` and the tests keep plain names."""
    page = await client.get("/")
    assert 'href="/static/css/app.css"' in page.text


@pytest.mark.settings(static_hashed_urls=True)
async def test_deployed_pages_name_the_hashed_files_the_upload_makes(
    client: httpx.AsyncClient,
) -> None:
    """Would fail before: templates named /static/css/app.css, which could not be cached
    for long without serving stale CSS after a deploy."""
    page = await client.get("/")
    uploaded = {u.key for u in plan()}
    names = re.findall(r'(?:href|src)="/(static/[^"]+)"', page.text)
    css = next(n for n in names if n.startswith("static/css/app."))
    assert css != "static/css/app.css"
    assert set(names) <= uploaded  # every asset a page names is in the bucket
    # The app answers the hashed name too (the execute-api URL, `admit serve`).
    served = await client.get(f"/{css}")
    assert served.status_code == 200
    assert served.content == (await client.get("/static/css/app.css")).content
    stale = css.replace(split_hashed(css.removeprefix("static/"))[1], "0" * 10)  # type: ignore[index]
    assert (await client.get(f"/{stale}")).status_code == 404
