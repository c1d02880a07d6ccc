"""The organizer's live figures (issue 15): the region of an event's dashboard that a
live page swaps, answered 304 when its ETag is current, and a stream of server-sent
events telling an open page when to ask for it again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from models.domain import Role
from web.auth import require_user
from web.rendering.charts import Bar, bar_chart
from web.services.container import services_of
from web.services.figures import Dashboard
from web.templating import render


def figures_context(request: Request, dashboard: Dashboard) -> dict[str, Any]:
    """What templates/organizer/_figures.html shows: the dashboard and its charts."""
    settings = request.app.state.settings
    event, figures = dashboard.event, dashboard.figures
    days = figures.days
    sales = bar_chart(
        "sales-chart",
        "Tickets sold per day, and in all against the capacity",
        f"{event.seats_confirmed} of {event.capacity} sold over {len(days)} days of sales.",
        [Bar(d.day.strftime("%d %b"), d.tickets) for d in days],
        line=dashboard.cumulative,
        ceiling=event.capacity,
    )
    quarters = figures.quarters
    arrivals = bar_chart(
        "arrivals-chart",
        "Arrivals per quarter hour",
        f"{event.checked_in} checked in of {event.seats_confirmed} expected.",
        [Bar(q.at.astimezone(event.zone).strftime("%H:%M"), q.count) for q in quarters],
    )
    return {
        "dashboard": dashboard,
        "sales_chart": sales,
        "arrivals_chart": arrivals,
        "live": settings.live_figures,
        "live_every": f"{settings.live_figures_every:g}",
    }


async def figures_region(request: Request) -> Response:
    organizer = require_user(request, Role.ORGANIZER)
    figures = services_of(request).figures
    event_id = request.path_params["event_id"]
    etag = await figures.etag(organizer, event_id)
    if etag in request.headers.get("if-none-match", "").split(", "):
        return Response(status_code=304, headers={"ETag": etag})
    dashboard = await figures.dashboard(organizer, event_id)
    return render(
        request,
        "organizer/_figures.html",
        figures_context(request, dashboard),
        headers={"ETag": dashboard.etag},
    )


async def figures_stream(request: Request) -> Response:
    """`event: figures` with the ETag now, then at each change, until the client leaves
    or ADMIT_LIVE_FIGURES_STREAM_FOR has passed (EventSource then opens another)."""
    organizer = require_user(request, Role.ORGANIZER)
    settings = request.app.state.settings
    changes = services_of(request).figures.changes(
        organizer,
        request.path_params["event_id"],
        settings.live_figures_every,
        settings.live_figures_stream_for,
    )
    first = await anext(changes)  # a missing or foreign event answers 404 here

    async def lines() -> AsyncIterator[str]:
        yield f"retry: 2000\nevent: figures\ndata: {first}\n\n"
        async for tag in changes:
            if await request.is_disconnected():
                break
            yield f"event: figures\ndata: {tag}\n\n"
        await changes.aclose()

    return StreamingResponse(
        lines(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


routes = [
    Route("/organizer/events/{event_id}/figures", figures_region),
    Route("/organizer/events/{event_id}/figures/stream", figures_stream),
]
