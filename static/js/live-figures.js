// The event dashboard's live figures. With server-sent events (ADMIT_LIVE_FIGURES=sse)
// each event carries the figures' new ETag, and the region asks for itself again only
// when it differs from the one it shows; with polling htmx asks on its own (hx-trigger
// "every Ns", If-None-Match, 304 swaps nothing). Only the figures are swapped, so the
// page keeps its scroll; without JavaScript the page shows the figures as loaded.
const region = () => document.getElementById("live-figures");
const first = region();
if (first && first.dataset.stream && "EventSource" in window) {
  const source = new EventSource(first.dataset.stream);
  source.addEventListener("figures", (event) => {
    const live = region();
    if (live && live.dataset.etag !== event.data) {
      live.dispatchEvent(new CustomEvent("figures-changed"));
    }
  });
  window.addEventListener("pagehide", () => source.close());
}
