// Checkout with Stripe: Stripe's Payment Element in form#stripe-payment.
//
// The form carries what the server prepared: data-publishable-key, data-client-secret
// (of the registration's PaymentIntent) and data-return-url (a path on this site). Card
// details go from Stripe's own frame to Stripe, never through Admit. After paying,
// Stripe sends the browser to the return URL; the registration is confirmed by Stripe's
// webhook, not by this page.
//
// The page's Content-Security-Policy must allow https://js.stripe.com (script and
// frame), https://hooks.stripe.com (frame, for 3-D Secure) and https://api.stripe.com
// (connect).

const STRIPE_JS = "https://js.stripe.com/v3/";
const GENERIC_ERROR = "The payment did not go through. Please try again.";

function loadStripeJs() {
  if (window.Stripe) return Promise.resolve(window.Stripe);
  return new Promise((resolve, reject) => {
    const existing = document.querySelector(`script[src="${STRIPE_JS}"]`);
    const script = existing || document.createElement("script");
    script.addEventListener("load", () =>
      window.Stripe ? resolve(window.Stripe) : reject(new Error("Stripe.js did not start")),
    );
    script.addEventListener("error", () => reject(new Error("Stripe.js did not load")));
    if (!existing) {
      script.src = STRIPE_JS;
      script.async = true;
      document.head.appendChild(script);
    }
  });
}

function showError(box, message) {
  if (!box) return;
  box.textContent = message || "";
  box.hidden = !message;
}

function holdHasRunOut() {
  return Boolean(document.querySelector(".hold.expired"));
}

function setBusy(form, busy) {
  form.toggleAttribute("aria-busy", busy);
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = busy || holdHasRunOut();
  }
}

async function startCheckout(form) {
  const errorBox = form.querySelector("#payment-error");
  const { publishableKey, clientSecret, returnUrl } = form.dataset;
  // A path on this site (never "//host"), so the payer always comes back here.
  const path = /^\/(?!\/)/.test(returnUrl || "") ? returnUrl : "/my/registrations";
  if (!publishableKey || !clientSecret) {
    showError(errorBox, "The payment form is not available right now. Reload the page to try again.");
    setBusy(form, true);
    return;
  }
  setBusy(form, true); // until the form is ready
  let stripe;
  try {
    const Stripe = await loadStripeJs();
    stripe = Stripe(publishableKey);
  } catch {
    showError(errorBox, "The payment form could not load. Check your connection and reload the page.");
    return;
  }
  const elements = stripe.elements({ clientSecret });
  const paymentElement = elements.create("payment");
  paymentElement.on("ready", () => setBusy(form, false));
  paymentElement.on("loaderror", () =>
    showError(errorBox, "The payment form could not load. Reload the page to try again."),
  );
  paymentElement.mount(form.querySelector("#payment-element"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.hasAttribute("aria-busy") || holdHasRunOut()) return;
    showError(errorBox, "");
    setBusy(form, true);
    let result;
    try {
      // On success Stripe leaves this page for return_url; we only come back on errors.
      result = await stripe.confirmPayment({
        elements,
        confirmParams: { return_url: location.origin + path },
      });
    } catch {
      result = { error: { message: GENERIC_ERROR } };
    }
    const error = result && result.error;
    if (error) {
      // Card and form errors carry a message meant for the payer; others do not.
      const forPayer = error.type === "card_error" || error.type === "validation_error";
      showError(errorBox, forPayer && error.message ? error.message : GENERIC_ERROR);
      setBusy(form, false);
    }
  });
}

function init() {
  const form = document.querySelector("form#stripe-payment");
  if (form) startCheckout(form);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
