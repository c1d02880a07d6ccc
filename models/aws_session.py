"""The process's one botocore session, shared by the DynamoDB store and the AWS adapters.

It loads each service's model once (tens of milliseconds apiece), so the second client of
a service costs about 2 ms. It lives in `models/` because the store uses it and `models/`
imports nothing from `web/`; `web/adapters/aws_clients.py` takes it from here. It is a
module of its own, outside `models/dynamo/`, so importing it loads no botocore: the
local adapters never do.
"""

from __future__ import annotations

from typing import Any

_session: Any = None


def shared_session() -> Any:
    global _session
    if _session is None:
        from aiobotocore.session import AioSession  # late: Lambda cold start

        _session = AioSession()
    return _session
