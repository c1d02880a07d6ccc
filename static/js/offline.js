// Offline support: registers the service worker (static/sw.js), tells it who is signed in
// (body data-user, "" when nobody is, so it can drop another person's saved tickets), and
// shows the offline banner while the phone has no network. A page with [data-offline-sync]
// asks it to save every upcoming ticket of the account.

const banner = document.getElementById("offline-banner");
const showBanner = (offline) => {
  if (banner) banner.hidden = !offline;
};
window.addEventListener("offline", () => showBanner(true));
window.addEventListener("online", () => showBanner(false));
showBanner(!navigator.onLine);

if ("serviceWorker" in navigator) {
  const workers = navigator.serviceWorker;
  const user = document.body.dataset.user || "";
  const tell = (worker) => {
    if (worker) worker.postMessage({ type: "user", id: user });
  };
  tell(workers.controller);
  workers.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("Offline tickets are unavailable:", error);
  });
  workers.ready.then((registration) => tell(registration.active));
  workers.addEventListener("controllerchange", () => tell(workers.controller));
  const save = () => {
    if (user && navigator.onLine && document.querySelector("[data-offline-sync]")) {
      workers.ready.then((registration) => registration.active.postMessage({ type: "sync" }));
    }
  };
  save();
  document.addEventListener("htmx:after:swap", save); // tickets shown in place
}
