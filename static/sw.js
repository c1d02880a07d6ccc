// Admit's service worker: the signed-in user's tickets stay readable without a network.
//
// Network first, cache as the fallback (no network, or a 5xx answer for a private page),
// for three kinds of request and nothing else:
//
// - Public assets the ticket pages need (app.css, /static/js/*.js, htmx, icons, the
//   manifest), kept in STATIC for everyone who uses the phone.
// - Private pages, "My tickets", /tickets/<id>, and the door (/door and the scanner
//   /door/<event id>): only a 200 HTML navigation is kept, in a cache named after the user
//   the page was rendered for ("admit-private:<user id>", read from the page's own
//   <body data-user>). There is at most one such cache. The scanner's own assets (door.css,
//   jsQR) are public assets like the others.
// - A ticket's PDF, /tickets/<id>/pdf: saved in the same private cache by the sync below.
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
// Every upcoming ticket, not only the ones opened: when someone signs in (the user
// changes to a non-empty one) and whenever a page with [data-offline-sync] asks ("My
// tickets", a confirmation page with its tickets), the worker fetches
// /my/tickets/offline.json (the session's account and its upcoming tickets' paths) and
// keeps, in the same private cache, each ticket's page and its PDF (fetched from
// /tickets/<id>/ticket.pdf, kept under /tickets/<id>/pdf, which is what the "Download PDF"
// link asks for; online that link still goes to a fresh signed link). It fetches only what
// the cache lacks, keeps nothing unless the list, each page's data-user and the owner at
// the moment of writing all name the same account, and drops the tickets no longer
// listed. Then it posts {type: "offline-synced"} to the pages, which mark what is saved.
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
  "/static/js/offline-saved.js",
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
const isTicketPage = (path) => /^\/tickets\/[^/]+$/.test(path);
const isTicketPdf = (path) => /^\/tickets\/[^/]+\/pdf$/.test(path);
const isTicketFile = (path) => /^\/tickets\/[^/]+\/ticket\.pdf$/.test(path);
const OFFLINE_LIST = "/my/tickets/offline.json";
const pageUser = (html) => {
  const match = /<body[^>]*\sdata-user="([^"]*)"/.exec(html);
  return match && USER_ID.test(match[1]) ? match[1] : "";
};
// Deployed pages name assets by content (/static/css/app.<10 hex>.css, web/static_urls.py):
// such an asset is matched and cached under its plain name, so the copy kept offline is
// found whichever name the page asks for.
const plainName = (path) => path.replace(/\.[0-9a-f]{10}(\.[A-Za-z0-9]+)$/, "$1");
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

// First delete every private cache that is not `id`'s, then remember `id`. True when the
// user changed (someone signed in, out, or in place of someone else).
async function setUser(id) {
  const names = await caches.keys();
  const others = names.filter((name) => name.startsWith(PRIVATE) && name !== PRIVATE + id);
  await Promise.all(others.map((name) => caches.delete(name)));
  if ((await currentOwner()) !== id) {
    await deleteDoorLists();
    owner = id;
    await (await caches.open(META)).put(OWNER_KEY, new Response(id));
    return true;
  }
  return false;
}

// The page says who is signed in now; true when that is someone new.
async function keepPrivate(url, response) {
  const user = pageUser(await response.clone().text());
  const changed = await setUser(user);
  if (user) await (await caches.open(PRIVATE + user)).put(url, response);
  return changed && user !== "";
}

// -- every upcoming ticket of the signed-in account -------------------------------------

// Writes `response` under `path` for `user`, unless someone else is the owner by now.
function keepFor(user, path, response) {
  return serial(async () => {
    if ((await currentOwner()) !== user) return;
    await (await caches.open(PRIVATE + user)).put(new URL(path, self.location.origin).href, response);
  });
}

async function fetchAndKeep(user, from, path, type) {
  let response;
  try {
    // Never followed: a redirect means the session ended, and following it to /login
    // would start an anonymous session whose cookie replaces the one a log-in page in a
    // tab just gave its form (its log-in then fails the CSRF check).
    response = await fetch(from, { credentials: "same-origin", cache: "no-store", redirect: "manual" });
  } catch {
    return; // offline again: the next sync tries
  }
  const contentType = response.headers.get("content-type") || "";
  if (response.status !== 200 || response.redirected || !contentType.startsWith(type)) return;
  if (type === "text/html" && pageUser(await response.clone().text()) !== user) return;
  await keepFor(user, path, response);
}

async function syncOnce() {
  const user = await serial(currentOwner); // after any pending change of user
  if (!user) return;
  let list;
  try {
    const response = await fetch(OFFLINE_LIST, { credentials: "same-origin", cache: "no-store" });
    // The session ended (logged out everywhere, or expired): so does the offline copy.
    if (response.status === 401) await serial(() => setUser(""));
    if (response.status !== 200) return;
    list = await response.json();
  } catch {
    return; // offline, or not the list: keep what is saved
  }
  // The session is someone else's: their first page changes the user, then syncs.
  if (!list || list.user !== user || !Array.isArray(list.tickets)) return;
  const listed = new Set();
  const options = { cacheName: PRIVATE + user, ignoreVary: true }; // caches.open would make it
  const missing = async (path) => !(await caches.match(new URL(path, self.location.origin).href, options));
  for (const ticket of list.tickets) {
    const { page, pdf, file } = ticket || {};
    if (!isTicketPage(page) || !isTicketPdf(pdf) || !isTicketFile(file)) continue;
    listed.add(page).add(pdf);
    if (await missing(page)) await fetchAndKeep(user, page, page, "text/html");
    if (await missing(pdf)) await fetchAndKeep(user, file, pdf, "application/pdf");
  }
  if (await missing("/my/tickets")) await fetchAndKeep(user, "/my/tickets", "/my/tickets", "text/html");
  // Tickets no longer listed (cancelled, over, past the list's limit) leave the phone.
  await serial(async () => {
    if ((await currentOwner()) !== user || !(await caches.has(PRIVATE + user))) return;
    const cache = await caches.open(PRIVATE + user);
    for (const request of await cache.keys()) {
      const path = new URL(request.url).pathname;
      if (path.startsWith("/tickets/") && !listed.has(path)) await cache.delete(request);
    }
  });
  const pages = await self.clients.matchAll({ type: "window" });
  for (const page of pages) page.postMessage({ type: "offline-synced", user });
}

// One sync at a time; a request during one runs another right after it.
let syncing = null;
let again = false;
function sync() {
  if (syncing) {
    again = true;
    return syncing;
  }
  syncing = (async () => {
    try {
      do {
        again = false;
        await syncOnce();
      } while (again);
    } finally {
      syncing = null;
    }
  })();
  return syncing;
}

async function cachedTicketPdf(url) {
  const user = await currentOwner();
  if (!user) return undefined;
  return caches.match(url.origin + url.pathname, { cacheName: PRIVATE + user, ignoreVary: true });
}

// Network first (online the link goes on to a fresh signed link); offline, the saved PDF.
async function ticketPdf(event, url) {
  await queue;
  try {
    const response = await fetch(event.request);
    if (response.status >= 500) {
      const hit = await serial(() => cachedTicketPdf(url));
      if (hit) return hit;
    }
    return response;
  } catch (error) {
    const hit = await serial(() => cachedTicketPdf(url));
    if (hit) return hit;
    throw error;
  }
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
      const kept = serial(() => keepPrivate(url.href, copy));
      event.waitUntil(kept.then((signedIn) => (signedIn ? sync() : undefined)));
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
  const key = new URL(plainName(url.pathname), url.origin).href;
  try {
    const response = await fetch(event.request);
    if (response.status === 200 && response.type === "basic") {
      const copy = response.clone();
      event.waitUntil(caches.open(STATIC).then((cache) => cache.put(key, copy)));
    }
    return response;
  } catch (error) {
    const hit = await caches.match(key, { cacheName: STATIC, ignoreVary: true });
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
    const changed = serial(() => setUser(data.id));
    event.waitUntil(changed.then((yes) => (yes && data.id ? sync() : undefined)));
  } else if (data && data.type === "sync") {
    event.waitUntil(sync());
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
  } else if (!url.search && isTicketPdf(url.pathname)) {
    event.respondWith(ticketPdf(event, url));
  } else if (!url.search && isStatic(plainName(url.pathname))) {
    event.respondWith(staticAsset(event, url));
  }
});
