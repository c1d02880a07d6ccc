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
