// The dashboard works without this script; it only spares double submissions
// and moves focus to a form's error summary.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  for (const b of form.querySelectorAll("button[type=submit]")) b.setAttribute("aria-busy", "true");
  // A page that comes back from the history cache may be sent again.
  window.addEventListener("pageshow", () => { delete form.dataset.sent; }, { once: true });
});
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
