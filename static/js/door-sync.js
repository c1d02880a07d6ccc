// The scanner's small print about working offline: the status line ("Offline list: 5,000
// tickets, synced 19:40 · 2 offline check-ins to send") and the panel that reports what
// the server said about each admission made offline (confirmed, or a conflict).

const count = (n, one, many) => `${n.toLocaleString("en-GB")} ${n === 1 ? one : many}`;

export class SyncPanel {
  // `offline` is the page's OfflineDoor; `formatTime` shows a time in the event's zone;
  // `titles` maps a validate result to the title the result screen gives it.
  constructor({ offline, formatTime, titles }) {
    this.offline = offline;
    this.formatTime = formatTime;
    this.titles = titles;
    this.status = document.getElementById("door-offline-status");
    this.box = document.getElementById("door-sync");
    this.summary = document.getElementById("door-sync-summary");
    this.log = document.getElementById("door-sync-log");
  }

  showStatus() {
    const { offline } = this;
    const parts = [];
    if (offline.list) {
      const synced = this.formatTime(offline.list.synced_at);
      parts.push(`Offline list: ${count(offline.ticketCount, "ticket", "tickets")}, synced ${synced}`);
    } else {
      parts.push("Offline list: not synced yet");
    }
    const waiting = offline.pending().length;
    if (waiting) parts.push(`${count(waiting, "offline check-in", "offline check-ins")} to send`);
    const others = offline.othersWaiting();
    if (others) {
      parts.push(
        `${count(others, "offline check-in", "offline check-ins")} of another account, sent when it logs in here again`,
      );
    }
    if (!offline.saved) parts.push("not saved on this phone");
    this.status.textContent = parts.join(" · ");
  }

  // What the server said about one admission made offline.
  line({ admission, answer, refused }) {
    const who = answer?.ticket?.attendee_name || admission.attendee_name || "A ticket";
    const head = `${who}: admitted offline at ${this.formatTime(admission.at)}`;
    if (refused) {
      return { tone: "bad", text: `${head}, but the server refused it (error ${refused}): not recorded.` };
    }
    if (answer.result === "admitted") return { tone: "ok", text: `${head}: confirmed.` };
    if (answer.result === "already_used") {
      const at = answer.first_checked_in_at;
      const where = answer.first_gate ? ` (${answer.first_gate})` : "";
      const first = at ? ` at ${this.formatTime(at)}${where}` : where;
      let text =
        at && Date.parse(at) > Date.parse(admission.at)
          ? `${head}, but another check-in reached the server first: used${first}.`
          : `${head}, but it had already been used${first}.`;
      // A try whose answer was lost on the way back may be the one that used it.
      if (admission.tries > 1) text += " That may have been an earlier try from this phone.";
      return { tone: "warn", text };
    }
    if (answer.result === "void") {
      return { tone: "bad", text: `${head}, but the ticket is void (cancelled, or passed on with a new code).` };
    }
    const title = this.titles[answer.result] || answer.result;
    return { tone: "bad", text: `${head}, but the server answered ${title}: not recorded.` };
  }

  // Adds the decided outcomes of OfflineDoor.flush to the panel, newest first.
  report(outcomes) {
    const decided = outcomes.filter((outcome) => !("kept" in outcome));
    if (!decided.length) return;
    for (const outcome of decided) {
      const { tone, text } = this.line(outcome);
      const item = document.createElement("li");
      item.className = `door-sync-${tone}`;
      item.textContent = text;
      this.log.prepend(item);
    }
    const confirmed = decided.filter((outcome) => outcome.answer?.result === "admitted").length;
    const conflicts = decided.length - confirmed;
    let summary = `Sent ${count(decided.length, "offline check-in", "offline check-ins")}: ${confirmed} confirmed`;
    if (conflicts) summary += `, ${count(conflicts, "conflict", "conflicts")}`;
    this.summary.textContent = `${summary}.`;
    this.box.hidden = false;
  }
}
