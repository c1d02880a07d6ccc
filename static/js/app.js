// Small progressive enhancements; every page works without them.

function focusFirstError(root) {
  const field = (root || document).querySelector('[aria-invalid="true"]');
  if (field) field.focus();
}

// While an htmx request runs, the form that sent it shows its busy label and cannot be
// submitted twice (a double tap on a slow phone must not buy twice).
function setBusy(event, busy) {
  const form = event.target.closest ? event.target.closest("form") : null;
  if (!form) return;
  form.toggleAttribute("aria-busy", busy);
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = busy;
}

document.addEventListener("htmx:before:request", (event) => setBusy(event, true));
document.addEventListener("htmx:finally:request", (event) => setBusy(event, false));
document.addEventListener("htmx:after:swap", () => focusFirstError(document));

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => focusFirstError(document));
} else {
  focusFirstError(document);
}

// Checkout: count down the seat hold, and say plainly when it has run out.
function startCountdowns(root) {
  for (const hold of root.querySelectorAll(".hold[data-expires]")) {
    const expires = Date.parse(hold.dataset.expires);
    const out = hold.querySelector(".countdown");
    if (!out || Number.isNaN(expires)) continue;
    const tick = () => {
      const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      if (left === 0) {
        out.textContent = "Your hold has run out; the seats are back on sale.";
        hold.classList.add("expired");
        for (const button of document.querySelectorAll(".checkout button[type=submit]:not(.link)")) button.disabled = true;
        clearInterval(timer);
        return;
      }
      const minutes = Math.floor(left / 60);
      const seconds = String(left % 60).padStart(2, "0");
      out.textContent = `${minutes}:${seconds} left.`;
    };
    const timer = setInterval(tick, 1000);
    tick();
  }
}
startCountdowns(document);

// Card form: group the number in fours and put the slash in the expiry as people type.
document.addEventListener("input", (event) => {
  const input = event.target;
  if (input.matches?.("[data-card-number]")) {
    const digits = input.value.replace(/\D/g, "").slice(0, 19);
    input.value = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
  } else if (input.matches?.("[data-expiry]")) {
    const digits = input.value.replace(/\D/g, "").slice(0, 4);
    input.value = digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
  }
});
