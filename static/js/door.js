// The door scanner: reads ticket QR codes with the phone's camera, asks the server whether
// each one admits, and shows the answer big enough to read at arm's length.
//
// Decoding happens in the browser: the native BarcodeDetector where it reads QR codes,
// otherwise jsQR (static/vendor/jsQR.js, a classic script loaded before this module) on
// frames drawn to a canvas. Manual entry and search by name post the same validate call.
//
// Without a connection (navigator.onLine false, or the validate call fails with a network
// error) the phone decides by itself from the synced list (door-offline.js): the same
// answers, marked "offline", and each admission is sent to the server once it is back.

import { OfflineDoor } from "./door-offline.js";
import { SyncPanel } from "./door-sync.js";

const root = document.getElementById("door");

const SCAN_INTERVAL_MS = 125; // about 8 frames a second
const SAME_CODE_MS = 3000; // the same code is not sent again within this time
const RESULT_MS = 2500; // the answer stays up this long unless tapped away
const PROGRESS_MS = 15000; // the counter is refreshed from the server this often
const MAX_FRAME_WIDTH = 640; // frames are scaled down to this before jsQR reads them
const SYNC_MS = 45000; // offline admissions are sent and the offline list fetched this often

const RESULTS = {
  admitted: { title: "ADMITTED", tone: "ok" },
  already_used: { title: "ALREADY USED", tone: "warn" },
  wrong_event: { title: "WRONG EVENT", tone: "bad", detail: "This ticket is for another event." },
  void: {
    title: "VOID",
    tone: "bad",
    detail: "This ticket was cancelled, or this code was replaced when the ticket was passed on. Do not admit.",
  },
  invalid: {
    title: "INVALID",
    tone: "bad",
    detail: "Not an Admit ticket code. Ask for the ticket in the Admit app or the PDF.",
  },
  not_yet_open: { title: "NOT YET OPEN", tone: "bad", detail: "Doors for this event are not open yet." },
  event_over: { title: "EVENT OVER", tone: "bad", detail: "This event has ended." },
  forbidden: {
    title: "NOT ALLOWED",
    tone: "bad",
    detail: "Your door access to this event has ended.",
  },
};

function storage(key, fallback) {
  try {
    return window.localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback; // storage blocked (private mode on some browsers)
  }
}

function store(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Not kept across visits; it still works for this page.
  }
}

function randomId() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function deviceId() {
  let id = storage("admit.door.device", "");
  if (!id) {
    id = randomId();
    store("admit.door.device", id);
  }
  return id;
}

// -- feedback: vibration and sound ------------------------------------------------------

let audio = null;

// Made (or resumed) on a tap: browsers let a page play sound only after a gesture.
function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

function tone(frequency, start, length, type) {
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  const at = audio.currentTime + start;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(at);
  oscillator.stop(at + length + 0.02);
}

function signal(ok) {
  if (typeof navigator.vibrate === "function") {
    try {
      navigator.vibrate(ok ? 120 : [220, 100, 220]);
    } catch {
      // Not allowed here; the screen says it all.
    }
  }
  if (!audio || audio.state !== "running") return;
  try {
    if (ok) {
      tone(1760, 0, 0.15, "sine"); // one high beep
    } else {
      tone(160, 0, 0.18, "square"); // a low double buzz
      tone(160, 0.26, 0.18, "square");
    }
  } catch {
    // No sound; the screen and the vibration remain.
  }
}

// -- the page ---------------------------------------------------------------------------

function start() {
  const eventId = root.dataset.eventId;
  const csrf = root.dataset.csrf;
  const timezone = root.dataset.timezone || undefined;
  const loginUrl = root.dataset.loginUrl;
  const device = deviceId();

  const alertBox = document.getElementById("door-alert");
  const video = document.getElementById("door-video");
  const aim = root.querySelector(".door-aim");
  const startButton = document.getElementById("door-start");
  const stopButton = document.getElementById("door-stop");
  const cameraStatus = document.getElementById("door-camera-status");
  const gateInput = document.getElementById("door-gate");
  const manualForm = document.getElementById("door-manual");
  const codeInput = document.getElementById("door-code");
  const searchForm = document.getElementById("door-search");
  const nameInput = document.getElementById("door-name");
  const searchStatus = document.getElementById("door-search-status");
  const found = document.getElementById("door-found");
  const overlay = document.getElementById("door-result");
  const overlayTitle = document.getElementById("door-result-title");
  const overlayName = document.getElementById("door-result-name");
  const overlayType = document.getElementById("door-result-type");
  const overlayDetail = document.getElementById("door-result-detail");
  const overlayOffline = document.getElementById("door-result-offline");
  const offline = new OfflineDoor({
    eventId,
    // Whose admissions these are: only they are ever sent under this log-in.
    user: root.dataset.user || "",
    listUrl: root.dataset.offlineUrl,
  });
  const opened = offline.open(); // the list and the admissions kept on this phone
  const titles = Object.fromEntries(Object.entries(RESULTS).map(([name, kind]) => [name, kind.title]));
  const panel = new SyncPanel({ offline, formatTime, titles });

  // -- gate -----------------------------------------------------------------------------

  gateInput.value = storage("admit.door.gate", "") || gateInput.value || "Main gate";
  gateInput.addEventListener("input", () => store("admit.door.gate", gateInput.value.trim()));
  gateInput.addEventListener("change", () => {
    gateInput.value = gateInput.value.trim() || "Main gate";
    store("admit.door.gate", gateInput.value);
  });
  // The server refuses a gate with control characters (a one-line field): a pasted tab
  // must not make a check-in, or an offline one sent later, fail.
  const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
  const gate = () => gateInput.value.replace(NOT_ONE_LINE, " ").trim() || "Main gate";

  // -- messages -------------------------------------------------------------------------

  function showAlert(text, link) {
    alertBox.replaceChildren(text);
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      alertBox.append(" ", a);
    }
    alertBox.hidden = false;
  }

  function clearAlert() {
    alertBox.hidden = true;
    alertBox.replaceChildren();
  }

  // -- the counter ----------------------------------------------------------------------

  function setProgress(admitted, total) {
    const box = document.getElementById("door-progress");
    if (!box || !Number.isInteger(admitted) || !Number.isInteger(total)) return;
    box.dataset.admitted = String(admitted);
    box.dataset.total = String(total);
    box.querySelector(".door-admitted").textContent = String(admitted);
    box.querySelector(".door-total").textContent = String(total);
  }

  async function refreshProgress() {
    if (document.hidden || !navigator.onLine) return;
    try {
      const response = await fetch(root.dataset.progressUrl, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const box = html.querySelector("[data-admitted][data-total]");
      if (box) setProgress(Number(box.dataset.admitted), Number(box.dataset.total));
    } catch {
      // Offline for a moment: the next scan or refresh brings it up to date.
    }
  }
  setInterval(refreshProgress, PROGRESS_MS);

  // -- the result screen ----------------------------------------------------------------

  let resultTimer = 0;
  let showing = false;
  let afterResult = null;
  let returnFocus = null;

  function formatTime(value) {
    const moment = new Date(value);
    if (Number.isNaN(moment.getTime())) return "";
    const zone = { timeZone: timezone };
    const time = new Intl.DateTimeFormat("en-GB", { ...zone, hour: "2-digit", minute: "2-digit" });
    const day = new Intl.DateTimeFormat("en-GB", { ...zone, weekday: "short", day: "numeric", month: "short" });
    const sameDay = day.format(moment) === day.format(new Date());
    return sameDay ? time.format(moment) : `${day.format(moment)}, ${time.format(moment)}`;
  }

  function describe(answer) {
    const kind = RESULTS[answer.result] || RESULTS.invalid;
    const ticket = answer.ticket || null;
    let detail = kind.detail || "";
    if (answer.result === "admitted") {
      // The seat label ("Ticket 2 of 3") tells the door a group is coming; alone, it is noise.
      const group = ticket?.registration_quantity ?? 0;
      if (ticket?.seat_label && group !== 1) detail = ticket.seat_label;
      else if (group > 1) detail = `Group of ${group}`;
    } else if (answer.result === "already_used") {
      const when = answer.first_checked_in_at ? formatTime(answer.first_checked_in_at) : "";
      detail = "First scanned";
      if (when) detail += ` at ${when}`;
      if (answer.first_gate) detail += `, ${answer.first_gate}`;
      detail += ". Do not admit again.";
    }
    let mark = "";
    if (answer.offline) {
      mark = "Offline: not confirmed by the server yet";
      if (answer.result === "admitted" && answer.not_listed) {
        // Signed for this event, so issued; sold after the list was synced.
        detail = "Offline, not in the list yet: sold after the last sync. The code is genuine.";
      }
      if (answer.result === "admitted" && !answer.saved) {
        mark += ". Not saved on this phone: keep this page open until the connection is back";
      }
    }
    return { ...kind, name: ticket?.attendee_name || "", type: ticket?.ticket_type_name || "", detail, mark };
  }

  function showResult({ title, tone, name, type, detail, mark }, then) {
    clearTimeout(resultTimer);
    overlay.className = `door-result door-result-${tone}`;
    overlayTitle.textContent = title;
    // The ticket type big, so VIP is seen at a glance.
    overlayType.textContent = type || "";
    overlayType.hidden = !type;
    overlayName.textContent = name || "";
    overlayName.hidden = !name;
    overlayDetail.textContent = detail || "";
    overlayDetail.hidden = !detail;
    overlayOffline.textContent = mark || "";
    overlayOffline.hidden = !mark;
    if (!showing && document.activeElement !== overlay) returnFocus = document.activeElement;
    overlay.hidden = false;
    showing = true;
    afterResult = then || null;
    overlay.focus({ preventScroll: true });
    signal(tone === "ok");
    resultTimer = setTimeout(closeResult, RESULT_MS);
  }

  function closeResult() {
    if (!showing) return;
    clearTimeout(resultTimer);
    showing = false;
    overlay.hidden = true;
    if (returnFocus?.isConnected && !returnFocus.hidden) returnFocus.focus({ preventScroll: true });
    returnFocus = null;
    const then = afterResult;
    afterResult = null;
    if (then) then();
    resume();
  }

  overlay.addEventListener("click", closeResult);
  overlay.addEventListener("keydown", (event) => {
    if (event.key === "Escape" || event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      closeResult();
    }
  });

  // -- asking the server ----------------------------------------------------------------

  async function readError(response) {
    try {
      const body = await response.json();
      return body?.error?.message || "";
    } catch {
      return "";
    }
  }

  // Explains a refused or failed call in the alert box (with what to do) and returns the
  // explanation as plain text, and whether scanning can go on.
  function explain(status, message) {
    let text;
    let link = null;
    let goOn = true;
    if (status === 401) {
      text = "Your session has ended: codes are not being checked.";
      link = { href: loginUrl, text: "Log in again to continue scanning." };
      goOn = false;
    } else if (status === 403) {
      text =
        `${message || "This account may not check tickets for this event."} ` +
        "Ask the organizer to add you as door staff, or log in with another account.";
      link = { href: loginUrl, text: "Log in" };
      goOn = false;
    } else if (status === 0) {
      text = "No connection: this code was not checked. Check Wi-Fi or mobile data, then try again.";
    } else if (status === 429) {
      text = `${message || "Too many checks at once."} Wait a moment, then try again.`;
    } else {
      text =
        `${message || "The server could not check this code."} (error ${status}) ` +
        "Try again; if it keeps happening, type the code or search by name.";
    }
    showAlert(text, link);
    return { text: link ? `${text} ${link.text}` : text, goOn };
  }

  let busy = false;

  function postValidate(body) {
    return fetch(root.dataset.validateUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": csrf,
      },
      body: JSON.stringify(body),
    });
  }

  // `code` is a scanned or typed code, or {ticket_id} for a ticket found by name (the
  // search answers ticket ids, never codes, so those are checked online only).
  async function validate(code, then) {
    if (busy) return;
    busy = true;
    let status = 0;
    let message = "";
    const byId = typeof code === "object";
    try {
      let response = null;
      if (navigator.onLine) {
        const which = byId ? { ticket_id: code.ticket_id } : { code };
        try {
          response = await postValidate({ ...which, event_id: eventId, gate: gate(), device });
        } catch {
          response = null; // no connection after all: the phone decides
        }
      }
      if (!response && byId) throw new Error("offline");
      if (!response) {
        await checkOffline(code, then);
        return;
      }
      status = response.status;
      if (response.ok) {
        const answer = await response.json();
        clearAlert();
        if (answer.progress) setProgress(answer.progress.admitted, answer.progress.total);
        showResult(describe(answer), then);
        if (answer.result === "admitted") offline.admittedOnline(answer.ticket?.id, gate());
        return;
      }
      message = await readError(response);
    } catch {
      status = status || 0;
    } finally {
      busy = false;
    }
    const { text, goOn } = explain(status, message);
    // A code that was never checked may be scanned again straight away, and a typed one
    // stays in its field.
    lastCode = "";
    showResult({ title: "NOT CHECKED", tone: "error", name: "", detail: text }, goOn ? null : stopCamera);
  }

  // -- without a connection -------------------------------------------------------------

  async function checkOffline(code, then) {
    let answer;
    try {
      await opened;
      answer = await offline.check(code, { gate: gate(), device });
    } catch {
      answer = { result: "no_crypto" };
    }
    if (answer.result === "no_list" || answer.result === "no_crypto") {
      const text =
        answer.result === "no_list"
          ? "No connection, and this phone has no offline list for this event: this code was not checked. Open this page once with a connection to download the list."
          : "No connection, and this browser cannot check codes by itself: this code was not checked. Use a current Chrome, Safari or Firefox.";
      showAlert(text);
      lastCode = "";
      showResult({ title: "NOT CHECKED", tone: "error", name: "", detail: text });
      return;
    }
    showResult(describe(answer), then);
    panel.showStatus();
  }

  function offlineAlert() {
    if (offline.list) {
      const synced = formatTime(offline.list.synced_at);
      showAlert(
        `You are offline: codes are checked on this phone against the list synced at ${synced}, and sent to the server when the connection is back.`,
      );
    } else {
      showAlert(
        "You are offline and this phone has no offline list for this event: codes cannot be checked until the connection is back.",
      );
    }
  }

  let syncing = false;

  // Sends what was admitted offline, then fetches the list again.
  async function sync() {
    if (syncing || !navigator.onLine) return;
    syncing = true;
    try {
      await opened;
      const outcomes = await offline.flush(postValidate);
      panel.report(outcomes);
      const stuck = outcomes.find((outcome) => outcome.kept === 401 || outcome.kept === 403);
      if (stuck) explain(stuck.kept, await readError(stuck.response));
      if (outcomes.some((outcome) => outcome.answer)) refreshProgress();
      if (!outcomes.some((outcome) => "kept" in outcome)) await offline.refresh();
    } finally {
      syncing = false;
      panel.showStatus();
    }
  }
  setInterval(sync, SYNC_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) sync();
  });

  // -- the camera -----------------------------------------------------------------------

  let stream = null;
  let detector = null;
  let canvas = null;
  let context = null;
  let timer = 0;
  let lastCode = "";
  let lastAt = 0;

  async function makeDetector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) {
          const native = new window.BarcodeDetector({ formats: ["qr_code"] });
          return async (source) => {
            const codes = await native.detect(source);
            return codes.length ? codes[0].rawValue : "";
          };
        }
      } catch {
        // Fall through to jsQR.
      }
    }
    if (typeof window.jsQR !== "function") return null;
    canvas = document.createElement("canvas");
    context = canvas.getContext("2d", { willReadFrequently: true });
    return async (source) => {
      const width = source.videoWidth;
      const height = source.videoHeight;
      if (!width || !height) return "";
      const scale = Math.min(1, MAX_FRAME_WIDTH / width);
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(frame.data, frame.width, frame.height, {
        inversionAttempts: "dontInvert",
      });
      return code ? code.data : "";
    };
  }

  function cameraProblem(error) {
    switch (error?.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "Camera access was blocked. Allow the camera for this site (tap the icon beside the address, or the browser's site settings), then tap Start camera again. Meanwhile, type codes or search by name below.";
      case "NotFoundError":
      case "OverconstrainedError":
        return "No camera was found on this device. Type codes or search by name below.";
      case "DecoderError":
        return "The QR reader did not load. Reload the page; meanwhile type codes or search by name below.";
      case "NotReadableError":
      case "AbortError":
        return "The camera is busy: close other apps that use it, then tap Start camera again.";
      default:
        return `The camera did not start (${error?.message || error}). Reload the page and try again, or type codes below.`;
    }
  }

  async function startCamera() {
    unlockAudio();
    clearAlert();
    if (!navigator.mediaDevices?.getUserMedia) {
      showAlert(
        "This browser cannot use the camera here (it needs a secure https page and a current browser). Type codes or search by name below.",
      );
      return;
    }
    startButton.disabled = true;
    cameraStatus.textContent = "Starting the camera…";
    try {
      detector = detector || (await makeDetector());
      if (!detector) {
        throw Object.assign(new Error("no QR decoder could be loaded"), { name: "DecoderError" });
      }
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
    } catch (error) {
      stopCamera();
      cameraStatus.textContent = "The camera is off.";
      showAlert(cameraProblem(error));
      return;
    } finally {
      startButton.disabled = false;
    }
    for (const track of stream.getVideoTracks()) {
      track.addEventListener("ended", () => {
        stopCamera();
        showAlert("The camera stopped. Tap Start camera to scan again.");
      });
    }
    startButton.hidden = true;
    stopButton.hidden = false;
    aim.hidden = false;
    cameraStatus.textContent = "Scanning: point the camera at the QR code on the ticket.";
    schedule(0);
  }

  function stopCamera() {
    clearTimeout(timer);
    timer = 0;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    aim.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
    cameraStatus.textContent = "The camera is off.";
  }

  function schedule(delay) {
    clearTimeout(timer);
    if (stream) timer = setTimeout(scan, delay);
  }

  function resume() {
    if (stream && !busy) schedule(SCAN_INTERVAL_MS);
  }

  async function scan() {
    timer = 0;
    if (!stream || showing || busy) return; // resumed when the result closes
    const began = performance.now();
    let code = "";
    if (!document.hidden && video.readyState >= 2) {
      try {
        code = (await detector(video)).trim();
      } catch {
        code = "";
      }
    }
    if (code && stream && !showing && !busy) {
      const now = Date.now();
      if (code !== lastCode || now - lastAt >= SAME_CODE_MS) {
        lastCode = code;
        lastAt = now;
        await validate(code);
        if (!showing) resume();
        return;
      }
    }
    schedule(Math.max(0, SCAN_INTERVAL_MS - (performance.now() - began)));
  }

  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", () => {
    stopCamera();
    clearAlert();
  });
  window.addEventListener("pagehide", stopCamera);

  // -- manual entry ---------------------------------------------------------------------

  manualForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    unlockAudio();
    const code = codeInput.value.trim();
    if (!code) {
      showAlert("Enter the ticket code printed under the QR code, then tap Check code.");
      codeInput.focus();
      return;
    }
    clearAlert();
    await validate(code, () => {
      codeInput.value = "";
    });
  });

  // -- search by name -------------------------------------------------------------------

  let searchSeq = 0;

  function renderFound(items, query) {
    found.replaceChildren();
    if (!items.length) {
      searchStatus.textContent = `No tickets match “${query}”.`;
      return;
    }
    searchStatus.textContent = items.length === 1 ? "1 ticket found." : `${items.length} tickets found.`;
    for (const item of items) {
      const li = document.createElement("li");
      li.className = "door-found-item";
      const who = document.createElement("div");
      who.className = "door-found-who";
      const name = document.createElement("strong");
      name.textContent = item.attendee_name || "(no name)";
      who.append(name);
      if (item.buyer_name && item.buyer_name !== item.attendee_name) {
        const buyer = document.createElement("small");
        buyer.className = "muted";
        buyer.textContent = `Booked by ${item.buyer_name}`;
        who.append(buyer);
      }
      if (item.seat_label) {
        const seat = document.createElement("small");
        seat.textContent = item.seat_label;
        who.append(seat);
      }
      li.append(who);
      if (item.status === "valid") {
        const admit = document.createElement("button");
        admit.type = "button";
        admit.className = "button primary small";
        admit.textContent = "Admit";
        admit.setAttribute("aria-label", `Admit ${item.attendee_name || "this ticket"}`);
        admit.addEventListener("click", () => {
          unlockAudio();
          clearAlert();
          validate({ ticket_id: item.ticket_id }, () => search(query));
        });
        li.append(admit);
      } else {
        const badge = document.createElement("span");
        badge.className = `badge door-badge-${item.status}`;
        badge.textContent = item.status === "used" ? "Already used" : item.status === "void" ? "Void" : item.status;
        li.append(badge);
      }
      found.append(li);
    }
  }

  async function search(query) {
    const seq = ++searchSeq;
    searchStatus.textContent = "Searching…";
    let status = 0;
    let message = "";
    try {
      if (!navigator.onLine) throw new Error("offline");
      const url = `${root.dataset.searchUrl}?${new URLSearchParams({ q: query })}`;
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      status = response.status;
      if (response.ok) {
        const body = await response.json();
        if (seq === searchSeq) renderFound(body.items || [], query);
        return;
      }
      message = await readError(response);
    } catch {
      // status stays 0: no connection
    }
    if (seq !== searchSeq) return;
    searchStatus.textContent = "The search did not work.";
    if (status === 0) {
      showAlert("No connection: the search did not run. Check Wi-Fi or mobile data, then search again.");
    } else if (!explain(status, message).goOn) {
      stopCamera();
    }
  }

  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = nameInput.value.trim();
    if (!query) {
      searchStatus.textContent = "Enter a name to search for.";
      found.replaceChildren();
      nameInput.focus();
      return;
    }
    clearAlert();
    search(query);
  });

  // -- connection -----------------------------------------------------------------------

  window.addEventListener("offline", offlineAlert);
  window.addEventListener("online", () => {
    clearAlert();
    refreshProgress();
    sync();
  });
  panel.showStatus();
  opened.then(() => {
    panel.showStatus();
    if (!navigator.onLine) offlineAlert();
    sync();
  });
}

if (root) start();
