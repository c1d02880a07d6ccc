"""Upload static/ to the stack's static bucket, under the `static/` prefix CloudFront serves
at /static/* (infra/domain.yml); `make deploy` runs it (DEPLOYMENT.md).

    .venv/bin/python -m infra.static_upload <bucket> [--distribution <id>] [--dry-run]

Each file goes up twice:
- under its content-hashed name (`css/app.<hash>.css`, web/static_urls.py: the names the
  deployed pages use), `Cache-Control: public, max-age=31536000, immutable`: a changed file
  gets a new name, so nothing cached is ever stale. Never deleted: a page or a service
  worker from before this deploy may still ask for the old name.
- under its plain name (`css/app.css`), `no-cache` (a browser revalidates each time with
  the ETag): for what cannot carry the hash, the service worker's list of files to keep
  offline, the ES modules' relative imports (`./door-codes.js`) and the web manifest's
  icons. HTML files, if any, are plain and `no-cache` too.

Only what changed is sent: an object whose ETag (the MD5 of a single-part upload) and
Cache-Control already match is left alone. The CloudFront invalidation then covers the
plain names that changed, the only ones an edge may hold stale (a hashed name is new).
`sw.js` and `manifest.webmanifest` are served by the app (web/routes/pwa.py), not uploaded.
"""

from __future__ import annotations

import argparse
import hashlib
import mimetypes
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web.static_urls import content_hash, hashed_name

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
PREFIX = "static/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SERVED_BY_THE_APP = frozenset({"sw.js", "manifest.webmanifest"})
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True)
class Upload:
    key: str
    path: Path
    cache_control: str
    content_type: str


@dataclass
class Result:
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    invalidate: list[str] = field(default_factory=list)  # paths for CloudFront (/static/...)


def content_type(path: Path) -> str:
    return (
        _TYPES.get(path.suffix)
        or mimetypes.guess_type(path.name)[0]
        or ("application/octet-stream")
    )


def plan(static_dir: Path = STATIC_DIR) -> list[Upload]:
    """Every object to have in the bucket, sorted by key."""
    uploads: list[Upload] = []
    for path in sorted(p for p in static_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(static_dir).as_posix()
        if relative in SERVED_BY_THE_APP or path.name.startswith("."):
            continue
        kind = content_type(path)
        uploads.append(Upload(PREFIX + relative, path, REVALIDATE, kind))
        if path.suffix != ".html":
            digest = content_hash(path.read_bytes())
            uploads.append(Upload(PREFIX + hashed_name(relative, digest), path, IMMUTABLE, kind))
    return sorted(uploads, key=lambda u: u.key)


def _current(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def upload(s3: Any, bucket: str, static_dir: Path = STATIC_DIR, dry_run: bool = False) -> Result:
    result = Result()
    for item in plan(static_dir):
        body = item.path.read_bytes()
        md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
        now = _current(s3, bucket, item.key)
        if (
            now is not None
            and now.get("ETag", "").strip('"') == md5
            and now.get("CacheControl") == item.cache_control
            and now.get("ContentType") == item.content_type
        ):
            result.unchanged.append(item.key)
            continue
        if not dry_run:
            s3.put_object(
                Bucket=bucket,
                Key=item.key,
                Body=body,
                CacheControl=item.cache_control,
                ContentType=item.content_type,
            )
        result.uploaded.append(item.key)
        if now is not None and item.cache_control == REVALIDATE:
            result.invalidate.append("/" + item.key)
    return result


def invalidate(cloudfront: Any, distribution: str, paths: list[str]) -> str | None:
    """One invalidation of `paths` (none when empty); its id."""
    if not paths:
        return None
    answer = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": sorted(paths)},
            "CallerReference": f"admit-static-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Upload static/ with hashed names")
    parser.add_argument("bucket")
    parser.add_argument("--distribution", help="CloudFront distribution to invalidate")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-west-1"))
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL") or None)
    parser.add_argument("--static-dir", type=Path, default=STATIC_DIR)
    parser.add_argument("--dry-run", action="store_true", help="say what would change")
    args = parser.parse_args(argv)

    import boto3

    s3 = boto3.client("s3", region_name=args.region, endpoint_url=args.endpoint_url)
    result = upload(s3, args.bucket, args.static_dir, dry_run=args.dry_run)
    verb = "would upload" if args.dry_run else "uploaded"
    print(f"static: {verb} {len(result.uploaded)}, unchanged {len(result.unchanged)}")
    for key in result.uploaded:
        print(f"  {key}")
    if args.distribution and result.invalidate and not args.dry_run:
        cloudfront = boto3.client("cloudfront", endpoint_url=args.endpoint_url)
        made = invalidate(cloudfront, args.distribution, result.invalidate)
        print(f"CloudFront invalidation {made}: {' '.join(result.invalidate)}")
    elif result.invalidate:
        print(f"to invalidate: {' '.join(result.invalidate)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
