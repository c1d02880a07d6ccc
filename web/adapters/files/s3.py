"""S3 files: ticket PDFs in a private bucket, downloaded through pre-signed GET URLs.

Objects are written with SSE-S3 (AES256, as the bucket's default in infra/storage.yml)
and `Cache-Control: private, no-store`. A link is a SigV4 pre-signed URL of at most 15
minutes that makes S3 answer with `Content-Disposition: attachment` and the filename.

The Lambda role may read and write objects and list the bucket (serverless.yml,
`TicketPdfs` and `TicketPdfsMissingIs404`): without `s3:ListBucket`, S3 would answer a
missing key with 403, and "render it again" could not be told from "refused". So only a
404 means "not there"; a 403 is a refusal (FileStoreFailed).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from web.adapters.aws_clients import AwsClients, error_code
from web.adapters.files.port import DownloadLink, Files, FileStoreFailed

MAX_TTL = 900
MISSING = {"404", "NoSuchKey", "NotFound"}
UNSAFE_IN_QUOTES = re.compile(r'[^\x20-\x7e]|["\\%]')


def content_disposition(filename: str) -> str:
    """`attachment` with the filename as RFC 6266 wants it: a plain ASCII `filename`
    for old clients, and `filename*` in UTF-8 when the name is not plain ASCII."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = UNSAFE_IN_QUOTES.sub("_", ascii_name) or "download"
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


class S3Files(Files):
    def __init__(self, aws: AwsClients, bucket: str) -> None:
        self.aws = aws
        self.bucket = bucket

    async def _call(self, operation: str, key: str, **params: Any) -> Any:
        """One S3 call on `key`; errors become FileStoreFailed except a missing key's,
        which the caller reads with error_code()."""
        s3 = await self.aws.client("s3")
        return await getattr(s3, operation)(Bucket=self.bucket, Key=key, **params)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # late: Lambda cold start

        try:
            await self._call(
                "put_object",
                key,
                Body=data,
                ContentType=content_type,
                CacheControl="private, no-store",
                ServerSideEncryption="AES256",
            )
        except (ClientError, BotoCoreError) as exc:
            raise FileStoreFailed(self._failure("store", key, exc)) from exc

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            await self._call("head_object", key)
        except ClientError as exc:
            if error_code(exc) in MISSING:
                return False
            raise FileStoreFailed(self._failure("look up", key, exc)) from exc
        except BotoCoreError as exc:
            raise FileStoreFailed(self._failure("look up", key, exc)) from exc
        return True

    async def get(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = await self._call("get_object", key)
            async with response["Body"] as stream:
                return await stream.read()
        except ClientError as exc:
            if error_code(exc) in MISSING:
                return None
            raise FileStoreFailed(self._failure("read", key, exc)) from exc
        except BotoCoreError as exc:  # a connection or a body cut short
            raise FileStoreFailed(self._failure("read", key, exc)) from exc

    async def download_link(self, key: str, filename: str, ttl: int) -> DownloadLink:
        from botocore.exceptions import BotoCoreError, ClientError

        ttl = min(ttl, MAX_TTL)
        expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
        try:
            s3 = await self.aws.client("s3")
            # Signed locally, no request to S3 (credentials missing is a BotoCoreError).
            url = await s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": content_disposition(filename),
                },
                ExpiresIn=ttl,
            )
        except (ClientError, BotoCoreError) as exc:
            raise FileStoreFailed(self._failure("sign a link to", key, exc)) from exc
        return DownloadLink(url=url, expires_at=expires_at.replace(microsecond=0))

    def _failure(self, action: str, key: str, exc: Exception) -> str:
        code = error_code(exc)
        reason = f"{code}: {exc}" if code else str(exc)
        return f"Could not {action} s3://{self.bucket}/{key} ({reason})"
