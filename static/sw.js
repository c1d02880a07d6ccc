// Admit's service worker: the signed-in user's tickets stay readable without a network.
//
// Network first, cache as the fallback (no network, or a 5xx answer for a private page),
// for two kinds of request and nothing else:
//
// - Public assets the ticket pages need (app.css, /static/js/*.js, htmx, icons, the
//   manifest), kept in STATIC for everyone who uses the phone.
// - Private pages, "My tickets", /tickets/<id>, and the door (/door and the scanner
//   /door/<event id>): only a 200 HTML navigation is kept, in a cache named after the user
//   the page was rendered for ("admit-private:<user id>", read from the page's own
//   <body data-user>). There is at most one such cache. The scanner's own assets (door.css,
//   jsQR) are public assets like the others.
//
// The worker remembers whose pages it holds in META (it can be stopped at any moment, so a
// global alone would forget). Every page tells it who is signed in: offline.js posts
// {type: "user", id} with the body's data-user, "" when nobody is. When the user changes
// or is empty, the private cache is deleted before anything else happens (all changes run
// one after another, and a private page waits for them). Offline, a private page comes
// only from the cache of the current user; log-out (POST /logout) clears it at once.
// The same change of user deletes the door's offline lists (IndexedDB "admit-door-lists",
// which name attendees; static/js/door-offline.js), never its unsent admissions.
//
// POSTs, /api/, /files/ (signed PDF links), other pages and any other query string go to
// the network untouched.

const STATIC = "admit-static-v1";
const PRIVATE = "admit-private:";
const META = "admit-meta";
const OWNER_KEY = "/__admit-sw/owner";
const PRECACHE = [
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/js/offline.js",
  "/static/vendor/htmx.min.js",
  "/static/icons/icon.svg",
  "/manifest.webmanifest",
];
const USER_ID = /^[\w-]{0,100}$/;

const DOOR_LISTS = "admit-door-lists";

const isPrivatePage = (path) =>
  path === "/my/tickets" ||
  /^\/tickets\/[^/]+$/.test(path) ||
  path === "/door" ||
  /^\/door\/[^/]+$/.test(path);
const isStatic = (path) =>
  path === "/manifest.webmanifest" ||
  path === "/static/css/app.css" ||
  path === "/static/css/door.css" ||
  path === "/static/vendor/htmx.min.js" ||
  path === "/static/vendor/jsQR.js" ||
  /^\/static\/js\/[^/]+\.js$/.test(path) ||
  /^\/static\/icons\/[^/]+$/.test(path);

// Changes of user and writes to the private cache run one at a time, in order.
let queue = Promise.resolve();
function serial(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

let owner; // whose private cache exists; undefined until read from META
async function currentOwner() {
  if (owner === undefined) {
    const saved = await caches.match(OWNER_KEY, { cacheName: META });
    owner = saved ? await saved.text() : "";
  }
  return owner;
}

// Deletes the door's offline lists. An open scanner closes its connection when asked; if
// one does not, the deletion waits for it without holding up the worker.
function deleteDoorLists() {
  return new Promise((resolve) => {
    try {
      const request = indexedDB.deleteDatabase(DOOR_LISTS);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    } catch {
      resolve(); // no IndexedDB in this worker: there is no list to delete
    }
  });
}

// First delete every private cache that is not `id`'s, then remember `id`.
async function setUser(id) {
  const names = await caches.keys();
  const others = names.filter((name) => name.startsWith(PRIVATE) && name !== PRIVATE + id);
  await Promise.all(others.map((name) => caches.delete(name)));
  if ((await currentOwner()) !== id) {
    await deleteDoorLists();
    owner = id;
    await (await caches.open(META)).put(OWNER_KEY, new Response(id));
  }
}

async function keepPrivate(url, response) {
  const html = await response.clone().text();
  const match = /<body[^>]*\sdata-user="([^"]*)"/.exec(html);
  const user = match && USER_ID.test(match[1]) ? match[1] : "";
  await setUser(user); // the page says who is signed in now
  if (user) await (await caches.open(PRIVATE + user)).put(url, response);
}

async function cachedPrivate(url) {
  const user = await currentOwner();
  if (!user) return undefined;
  const options = { cacheName: PRIVATE + user, ignoreVary: true };
  const hit = await caches.match(url.href, options);
  return hit || (url.search ? caches.match(url.origin + url.pathname, options) : undefined);
}

async function privatePage(event, url) {
  await queue; // a pending change of user goes first
  try {
    const response = await fetch(event.request);
    const type = response.headers.get("content-type") || "";
    if (response.status === 200 && !response.redirected && type.startsWith("text/html")) {
      const copy = response.clone();
      event.waitUntil(serial(() => keepPrivate(url.href, copy)));
    }
    if (response.status >= 500) {
      // The server (or a proxy in front of it) is down: the saved copy beats an error page.
      const hit = await serial(() => cachedPrivate(url));
      if (hit) return hit;
    }
    return response;
  } catch (error) {
    const hit = await serial(() => cachedPrivate(url));
    if (hit) return hit;
    throw error;
  }
}

async function staticAsset(event, url) {
  try {
    const response = await fetch(event.request);
    if (response.status === 200 && response.type === "basic") {
      const copy = response.clone();
      event.waitUntil(caches.open(STATIC).then((cache) => cache.put(url.href, copy)));
    }
    return response;
  } catch (error) {
    const hit = await caches.match(url.href, { cacheName: STATIC, ignoreVary: true });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(
    caches
      .open(STATIC)
      .then((cache) => Promise.all(PRECACHE.map((path) => cache.add(path).catch(() => {})))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      const old = names.filter((name) => name.startsWith("admit-static-") && name !== STATIC);
      await Promise.all(old.map((name) => caches.delete(name)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  const data = event.data;
  if (data && data.type === "user" && typeof data.id === "string" && USER_ID.test(data.id)) {
    event.waitUntil(serial(() => setUser(data.id)));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (request.method === "POST" && url.pathname === "/logout") {
      event.waitUntil(serial(() => setUser("")));
    }
    return;
  }
  if (request.mode === "navigate" && isPrivatePage(url.pathname)) {
    event.respondWith(privatePage(event, url));
  } else if (!url.search && isStatic(url.pathname)) {
    event.respondWith(staticAsset(event, url));
  }
});
