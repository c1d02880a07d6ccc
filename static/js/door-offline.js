// The door without a connection: a synced list of the event's tickets, decisions made on
// the phone, and the admissions made offline sent to the server once it is back.
//
// - The list (GET /door/<event>/offline-data: public keys, door hours, every ticket with
//   its state) is kept in IndexedDB "admit-door-lists", one record per event, for the user
//   who fetched it. It names attendees, so the service worker deletes that database at
//   log-out and when someone else signs in.
// - Admissions made on this phone are kept in "admit-door-queue", one record per ticket:
//   pending until the server has answered their replay (POST /api/v1/tickets/validate,
//   which admits once: invariant 2 stays the server's), then kept as "sent" until a later
//   list knows the ticket is used. That database is never deleted by a log-out: an
//   admission that was not sent is never thrown away.
// - Each admission belongs to the account that made it (`user`, the scanner page's
//   signed-in user): it is only ever sent under that log-in, since the server records who
//   admitted whom and the next person on a shared phone must not vouch for scans they did
//   not make. Another account's admissions stay on the phone (still counting as "used"
//   for the decisions here) and go out when that account logs in on it again; they are
//   not discarded at its log-out, because someone was let in on the strength of them.
//   Admissions saved before owners were recorded have none and are never sent.
// - The decision is `decideCheckIn` below, the server's models/tickets.py decide_check_in
//   case for case: both are run through the table models/checkin_cases.json
//   (tests/test_checkin_cases.py, tests/browser/test_checkin_cases.py).

import { NoEd25519, importKeys, verifyCode } from "./door-codes.js";

const LISTS_DB = "admit-door-lists";
const QUEUE_DB = "admit-door-queue";
const LISTS = "lists";
const ADMISSIONS = "admissions";
// A sent admission is forgotten once a list fetched this long after it is saved (a
// DynamoDB index may show the ticket used a moment after the scan).
const SETTLE_MS = 60_000;
// Answers that do not decide a replay: it is kept and tried again later.
const RETRY_STATUSES = new Set([401, 403, 408, 425, 429]);

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(name, upgrade) {
  return new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.open(name, 1);
    } catch {
      resolve(null); // no IndexedDB here (some private modes): memory only
      return;
    }
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  });
}

// One call on one object store; null (or nothing) when the database is not there.
async function call(db, store, mode, run) {
  if (!db) return null;
  try {
    const transaction = db.transaction(store, mode);
    const finished = new Promise((resolve, reject) => {
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
    finished.catch(() => {}); // reported through `done` below when a request fails
    const result = await done(run(transaction.objectStore(store)));
    await finished; // written for good (a put is durable only once its transaction is)
    return result;
  } catch {
    return null;
  }
}

// The check-in decision without the server, in the order of decide_check_in: a scanner
// who may not check -> "forbidden"; not a code signed by a listed key (`claims` null) ->
// invalid; another event -> wrong_event; outside the door hours (their edges are inside)
// -> not_yet_open / event_over; then void; used (on the list, or on this phone) ->
// already_used; otherwise admitted. `status` is null for a ticket not on the list: the
// server would say invalid, but a well-signed ticket missing from the list was sold after
// the sync (the signature proves it was issued), so it is admitted with a note. A code of
// an older generation than the listed ticket's (`generation`: it was passed on since) is
// void, as on the server; a newer one was passed on after the sync. Times are milliseconds.
export function decideCheckIn({ scanner, claims, eventId, status, generation, opensAt, closesAt, now }) {
  if (scanner !== "organizer" && (scanner !== "door_staff" || now > closesAt)) return "forbidden";
  if (!claims) return "invalid";
  if (claims.eventId !== eventId) return "wrong_event";
  if (now < opensAt) return "not_yet_open";
  if (now > closesAt) return "event_over";
  if (status === "void") return "void";
  // Older than the listed ticket's: revoked. Newer: passed on after the sync, and signed.
  if (status != null && (claims.generation || 0) < (generation || 0)) return "void";
  if (status === "used") return "already_used";
  return "admitted";
}

// A list synced before ticket types had no `columns` kept, and no type column.
const FIRST_COLUMNS = ["id", "status", "attendee_name", "seat_no", "seats", "checked_in_at", "checked_in_gate"];

function row(list, ticketId) {
  const cells = list.index.get(ticketId);
  if (!cells) return null;
  const cell = (name) => cells[list.column.get(name) ?? -1];
  return {
    id: cell("id"),
    status: cell("status"),
    name: cell("attendee_name"),
    seatNo: cell("seat_no"),
    seats: cell("seats"),
    type: cell("ticket_type_name") || "",
    generation: cell("code_generation") || 0, // a list from before transfers: 0
    at: cell("checked_in_at") || null,
    gate: cell("checked_in_gate") || "",
  };
}

// The ticket's state on this phone: the list's, and used once admitted here; null when
// the list does not have it.
function stateOf(found, admission) {
  if (found?.status === "void") return "void";
  if (found?.status === "used" || admission) return "used";
  return found ? found.status : null;
}

function ticketOf(ticketId, found, admission) {
  if (found) {
    return {
      id: ticketId,
      attendee_name: found.name,
      ticket_type_name: found.type,
      seat_label: `Ticket ${found.seatNo} of ${found.seats}`,
      registration_quantity: found.seats,
    };
  }
  return { id: ticketId, attendee_name: admission?.attendee_name || "", seat_label: "", registration_quantity: 0 };
}

export class OfflineDoor {
  constructor({ eventId, user, listUrl }) {
    this.eventId = eventId;
    this.user = user;
    this.listUrl = listUrl;
    this.list = null; // {event_id, synced_at, fetched_at, opens_at, closes_at, keys, tickets, index}
    this.keys = null; // the list's keys, imported for WebCrypto
    this.local = new Map(); // ticket id -> admission made on this phone
    this.saved = true; // false when IndexedDB is not available: nothing survives a reload
    this.listsDb = null;
    this.queueDb = null;
  }

  async open() {
    [this.listsDb, this.queueDb] = await Promise.all([
      openDatabase(LISTS_DB, (db) => db.createObjectStore(LISTS, { keyPath: "event_id" })),
      openDatabase(QUEUE_DB, (db) => {
        db.createObjectStore(ADMISSIONS, { keyPath: "ticket_id" }).createIndex("event_id", "event_id");
      }),
    ]);
    this.saved = Boolean(this.listsDb && this.queueDb);
    if (this.listsDb) {
      // The service worker deletes the lists at log-out: let it, and forget them here too.
      this.listsDb.onversionchange = () => {
        this.listsDb.close();
        this.listsDb = null;
        this.use(null);
      };
    }
    const record = await call(this.listsDb, LISTS, "readonly", (s) => s.get(this.eventId));
    if (record?.user === this.user && Array.isArray(record.tickets)) this.use(record);
    else if (record) await call(this.listsDb, LISTS, "readwrite", (s) => s.delete(this.eventId));
    await this.reload();
  }

  // Reads the admissions kept for this event again (another tab may have sent some).
  async reload() {
    const admissions = await call(this.queueDb, ADMISSIONS, "readonly", (s) =>
      s.index("event_id").getAll(this.eventId),
    );
    for (const admission of admissions || []) this.local.set(admission.ticket_id, admission);
  }

  use(record) {
    this.list = record
      ? {
          ...record,
          index: new Map(record.tickets.map((cells) => [cells[0], cells])),
          column: new Map((record.columns || FIRST_COLUMNS).map((name, i) => [name, i])),
        }
      : null;
    this.keys = null;
  }

  get ticketCount() {
    return this.list ? this.list.tickets.length : 0;
  }

  // This account's admissions still to send (never another account's: see above).
  pending() {
    return [...this.local.values()]
      .filter((a) => !a.sent_at && this.user && a.user === this.user)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  // Unsent admissions made on this phone under another log-in (or before owners were kept).
  othersWaiting() {
    return [...this.local.values()].filter((a) => !a.sent_at && !(this.user && a.user === this.user)).length;
  }

  // Fetches the list again. Answers "ok", "offline", "session" (logged out or refused) or
  // "error"; the list kept before stays in use unless a new one arrived.
  async refresh() {
    const fetchedAt = Date.now();
    let response;
    try {
      response = await fetch(this.listUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      return "offline";
    }
    const type = response.headers.get("content-type") || "";
    if (response.redirected || response.status === 401 || response.status === 403) return "session";
    if (!response.ok || !type.startsWith("application/json")) return "error";
    let body;
    try {
      body = await response.json();
    } catch {
      return "error";
    }
    if (body?.event_id !== this.eventId || !Array.isArray(body.tickets) || !Array.isArray(body.keys)) {
      return "error";
    }
    const record = {
      event_id: body.event_id,
      user: this.user,
      synced_at: body.synced_at,
      fetched_at: fetchedAt,
      opens_at: body.opens_at,
      closes_at: body.closes_at,
      scanner: body.scanner,
      keys: body.keys,
      columns: Array.isArray(body.columns) ? body.columns : FIRST_COLUMNS,
      tickets: body.tickets,
    };
    this.use(record);
    await call(this.listsDb, LISTS, "readwrite", (s) => s.put(record));
    // Admissions the server had answered well before this list was read are in it now.
    for (const admission of [...this.local.values()]) {
      if (admission.sent_at && admission.sent_at + SETTLE_MS < fetchedAt) {
        this.local.delete(admission.ticket_id);
        await call(this.queueDb, ADMISSIONS, "readwrite", (s) => s.delete(admission.ticket_id));
      }
    }
    return "ok";
  }

  async keep(admission) {
    this.local.set(admission.ticket_id, admission);
    const stored = await call(this.queueDb, ADMISSIONS, "readwrite", (s) => s.put(admission));
    if (stored === null) this.saved = false;
  }

  // An admission the server made (online): the phone remembers it until the list does.
  async admittedOnline(ticketId, gate) {
    if (!ticketId || this.local.has(ticketId)) return;
    const now = Date.now();
    await this.keep({
      ticket_id: ticketId,
      event_id: this.eventId,
      at: new Date(now).toISOString(),
      gate,
      sent_at: now,
      answer: "admitted",
      online: true,
      user: this.user,
    });
  }

  // The decision for `code` without the server, in the shape of the validate answer plus
  // `offline: true`, `not_listed` and `saved`. `result` may also be "no_list" (nothing
  // synced for this event on this phone) or "no_crypto" (no Ed25519 in this browser).
  async check(code, { gate, device }) {
    const list = this.list;
    if (!list) return { result: "no_list", offline: true };
    try {
      this.keys = this.keys || (await importKeys(list.keys));
    } catch (error) {
      if (error instanceof NoEd25519) return { result: "no_crypto", offline: true };
      throw error;
    }
    const claims = await verifyCode(code, this.keys);
    const answer = { offline: true, ticket: null, first_checked_in_at: null, first_gate: null };
    const found = claims && row(list, claims.ticketId);
    const admission = claims && this.local.get(claims.ticketId);
    const now = Date.now();
    const result = decideCheckIn({
      // As the server decides for whoever fetched the list: door staff's access ends
      // with the door hours. (A list kept from before the field existed: organizer.)
      scanner: list.scanner || "organizer",
      claims,
      eventId: list.event_id,
      status: stateOf(found, admission),
      // Not on the list (sold or passed on after the sync): the signature is all we know.
      generation: found ? found.generation : claims?.generation,
      opensAt: Date.parse(list.opens_at),
      closesAt: Date.parse(list.closes_at),
      now,
    });
    if (result === "invalid" || result === "wrong_event") return { ...answer, result };
    const ticket = ticketOf(claims.ticketId, found, admission);
    if (result !== "admitted" && result !== "already_used") return { ...answer, result, ticket };
    if (result === "already_used") {
      const first = found?.status === "used" ? found : admission;
      return { ...answer, result, ticket, first_checked_in_at: first.at, first_gate: first.gate };
    }
    const made = {
      ticket_id: claims.ticketId,
      event_id: this.eventId,
      code: code.trim(),
      at: new Date(now).toISOString(),
      gate,
      device,
      attendee_name: ticket.attendee_name,
      user: this.user,
      not_listed: !found,
      tries: 0,
      sent_at: 0,
    };
    await this.keep(made);
    return { ...answer, result: "admitted", ticket, not_listed: !found, saved: this.saved };
  }

  // Sends each pending admission to the server, oldest first, through `post(body)` (a
  // fetch of the validate endpoint). An admission leaves the queue only when the server
  // has decided it; a network error, a 5xx or a refusal of the session keeps it (and the
  // rest) for the next try. Answers one outcome per admission tried:
  // {admission, answer} (a decision), {admission, refused: status} (a 4xx that will not
  // change) or {admission, kept: status} (0 for no connection).
  async flush(post) {
    const run = async () => {
      await this.reload();
      const outcomes = [];
      for (const admission of this.pending()) {
        admission.tries = (admission.tries || 0) + 1;
        await this.keep(admission);
        let response;
        try {
          response = await post({
            code: admission.code,
            event_id: admission.event_id,
            gate: admission.gate,
            device: admission.device,
          });
        } catch {
          outcomes.push({ admission, kept: 0 });
          break;
        }
        const status = response.status;
        if (response.ok) {
          let answer = null;
          try {
            answer = await response.json();
          } catch {
            answer = null;
          }
          if (!answer?.result) {
            outcomes.push({ admission, kept: status });
            break;
          }
          admission.sent_at = Date.now();
          admission.answer = answer.result;
          await this.keep(admission);
          outcomes.push({ admission, answer });
        } else if (status >= 500 || RETRY_STATUSES.has(status)) {
          outcomes.push({ admission, kept: status, response });
          break;
        } else {
          admission.sent_at = Date.now();
          admission.answer = `error ${status}`;
          await this.keep(admission);
          outcomes.push({ admission, refused: status, response });
        }
      }
      return outcomes;
    };
    if (!this.pending().length) return [];
    // One tab at a time: two tabs sending the same admission would report a false conflict.
    if (navigator.locks?.request) return navigator.locks.request(`admit-door-sync:${this.eventId}`, run);
    return run();
  }
}
