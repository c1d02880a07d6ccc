// Offline support: registers the service worker (static/sw.js), tells it who is signed in
// (body data-user, "" when nobody is, so it can drop another person's saved tickets), and
// shows the offline banner while the phone has no network.
//
// A page with [data-offline-sync] ("My tickets", a confirmation page with tickets) also
// asks the worker to save every upcoming ticket of the account; elements with
// data-offline-page and data-offline-pdf show their ".badge-offline" once both are saved.

const banner = document.getElementById("offline-banner");
const showBanner = (offline) => {
  if (banner) banner.hidden = !offline;
};
window.addEventListener("offline", () => showBanner(true));
window.addEventListener("online", () => showBanner(false));
showBanner(!navigator.onLine);

const user = document.body.dataset.user || "";

// Says "Available offline" only for what the worker's cache really holds.
async function markSaved() {
  const items = document.querySelectorAll("[data-offline-page]");
  const name = `admit-private:${user}`;
  if (!items.length || !user || !("caches" in window) || !(await caches.has(name))) return;
  const options = { cacheName: name, ignoreVary: true };
  for (const item of items) {
    const { offlinePage, offlinePdf } = item.dataset;
    const saved = (await caches.match(offlinePage, options)) && (await caches.match(offlinePdf, options));
    const badge = item.querySelector(".badge-offline");
    if (badge) badge.hidden = !saved;
  }
}

if ("serviceWorker" in navigator) {
  const workers = navigator.serviceWorker;
  const tell = (worker) => {
    if (worker) worker.postMessage({ type: "user", id: user });
  };
  tell(workers.controller);
  workers.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("Offline tickets are unavailable:", error);
  });
  const askToSave = () => {
    if (!user || !navigator.onLine || !document.querySelector("[data-offline-sync]")) return;
    workers.ready.then((registration) => registration.active.postMessage({ type: "sync" }));
  };
  workers.ready.then((registration) => tell(registration.active));
  askToSave();
  // Tickets that arrive in place (the confirmation page, once the payment is confirmed).
  document.addEventListener("htmx:after:swap", askToSave);
  workers.addEventListener("controllerchange", () => tell(workers.controller));
  workers.startMessages();
  workers.addEventListener("message", (event) => {
    if (event.data && event.data.type === "offline-synced" && event.data.user === user) {
      markSaved().catch(() => {});
    }
  });
  markSaved().catch(() => {});
}
