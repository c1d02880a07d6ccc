"""Secrets read from SSM Parameter Store once at start-up (DEPLOYMENT.md, "Parameters and
secrets").

On Lambda the environment holds each secret's parameter *name* (`ADMIT_SECRET_KEY_PARAMETER`
and the others of `SECRET_SETTINGS`), never its value. `with_secrets` fetches them all with
one `ssm:GetParameters` call (decrypted) and returns settings with the values in the
fields the plain variables would fill, so the rest of the app (`web/keys.py`, the Stripe
adapter) reads them as if they came from the environment: a ticket signing key stored with
`\\n` escapes instead of newlines is accepted the same way.

A setting given both ways (`ADMIT_SECRET_KEY` and `ADMIT_SECRET_KEY_PARAMETER`) is refused
rather than one silently winning, and a parameter that cannot be read stops the start: the
app never runs half-configured. Without any parameter (a laptop, the tests) nothing is
fetched and aiobotocore is never imported.
"""

from __future__ import annotations

from web.adapters.aws_clients import AwsClients, error_code
from web.settings import SECRET_SETTINGS, Settings, SettingsError


async def with_secrets(settings: Settings, aws: AwsClients | None = None) -> Settings:
    """`settings` with every `ADMIT_*_PARAMETER` read into its setting (the same object
    when there is none). Uses `aws`, or its own clients closed before returning."""
    if not settings.secret_parameters:
        return settings
    for name, _ in settings.secret_parameters:
        if getattr(settings, SECRET_SETTINGS[name]):
            raise SettingsError(f"{name} and {name}_PARAMETER are both set; keep one of them")
    own = aws is None
    clients = aws or AwsClients(settings.aws_region, settings.aws_endpoint_url)
    try:
        values = await _get_parameters(clients, [p for _, p in settings.secret_parameters])
    finally:
        if own:
            await clients.close()
    missing = [
        f"{parameter} (named by {name}_PARAMETER)"
        for name, parameter in settings.secret_parameters
        if parameter not in values
    ]
    if missing:
        raise SettingsError(
            f"SSM parameter(s) not found in {settings.aws_region}: {', '.join(missing)}; "
            "create them (DEPLOYMENT.md, Parameters and secrets)"
        )
    return settings.with_changes(
        **{
            SECRET_SETTINGS[name]: values[parameter].strip()
            for name, parameter in settings.secret_parameters
        },
        secret_parameters=(),  # read: a second call changes nothing
    )


async def _get_parameters(aws: AwsClients, names: list[str]) -> dict[str, str]:
    """Each found parameter's value by the name (or ARN) it was asked for."""
    from botocore.exceptions import BotoCoreError, ClientError  # late: after aiobotocore

    unique = list(dict.fromkeys(names))  # GetParameters takes at most 10; there are 5
    try:
        ssm = await aws.client("ssm")
        answer = await ssm.get_parameters(Names=unique, WithDecryption=True)
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", "")
        raise SettingsError(
            f"Could not read the SSM parameters {', '.join(unique)}: {error_code(exc)}: {message}"
        ) from exc
    except BotoCoreError as exc:
        raise SettingsError(
            f"Could not read the SSM parameters {', '.join(unique)}: {exc}"
        ) from exc
    values: dict[str, str] = {}
    for parameter in answer.get("Parameters", []):
        values[parameter["Name"]] = parameter["Value"]
        if arn := parameter.get("ARN"):
            values[arn] = parameter["Value"]
    return values
