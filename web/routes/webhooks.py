"""Payment provider webhooks: verified, applied once, retried by the provider on 5xx."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from web.adapters.payments.port import ProviderUnavailable, WebhookRejected
from web.services.container import Services

log = logging.getLogger("admit.webhooks")


async def stripe_webhook(request: Request) -> Response:
    services: Services = request.state.services
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    try:
        done, to_deliver = await services.payments.handle_webhook(payload, signature)
    except WebhookRejected as exc:
        return JSONResponse({"error": {"code": "bad_signature", "message": str(exc)}}, 400)
    except ProviderUnavailable as exc:
        # 503: Stripe delivers the event again later.
        log.warning("webhook deferred: %s", exc)
        return JSONResponse({"error": {"code": "retry", "message": str(exc)}}, 503)
    background = services.delivery.after_answer(to_deliver)
    return JSONResponse({"received": True, "result": done}, background=background)


routes = [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
