// "My tickets": shows an item's ".badge-offline" only once the service worker's cache
// holds both its data-offline-page and its data-offline-pdf (static/sw.js), checked on
// load and whenever the worker says it saved tickets ({type: "offline-synced"}).

const user = document.body.dataset.user || "";
const name = `admit-private:${user}`;

async function markSaved() {
  const items = document.querySelectorAll("[data-offline-page]");
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
  workers.addEventListener("message", (event) => {
    if (event.data && event.data.type === "offline-synced" && event.data.user === user) {
      markSaved().catch(() => {});
    }
  });
  workers.startMessages();
}
markSaved().catch(() => {});
