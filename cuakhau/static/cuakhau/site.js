// Behaviour that would otherwise be inline handlers, which the Content-Security-Policy forbids.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.matches("[data-autosubmit]") && target.form) {
    target.form.requestSubmit();
  }
});
document.addEventListener("click", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("click", (event) => {
  const target = event.target;
  const toggle = target instanceof HTMLElement ? target.closest("[data-menu]") : null;
  if (!toggle) return;
  const menu = document.getElementById(toggle.getAttribute("aria-controls") || "");
  if (!menu) return;
  const open = menu.classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});
// A plain form that failed comes back rendered at its POST address, with the error somewhere
// down the page. Put the page's own address back (a reload must not re-post) and bring the first
// field in error, or the error, into view with the cursor in it. Forms swapped by htmx get the
// same once the swap is done.
function showFirstError(root) {
  const invalid = root.querySelector('[aria-invalid="true"], .field-invalid input, .field-invalid select');
  const alert = root.querySelector(".alert.error");
  const first = invalid || alert;
  if (!first) return;
  first.scrollIntoView({ block: "center" });
  if (invalid instanceof HTMLElement) invalid.focus({ preventScroll: true });
}
document.addEventListener("DOMContentLoaded", () => {
  const canonical = document.querySelector('link[rel="canonical"]');
  if (canonical instanceof HTMLLinkElement && canonical.href !== window.location.href) {
    window.history.replaceState(null, "", canonical.href);
  }
  const main = document.querySelector("main");
  if (main) showFirstError(main);
});
// A button that adds a row (a goods line) sends the index of the new row: the rows already in
// the table it names (data-row-index). Computed here, not in hx-vals="js:…", which needs eval.
document.addEventListener("htmx:configRequest", (event) => {
  const source = event.detail.elt;
  if (!(source instanceof HTMLElement) || !source.dataset.rowIndex) return;
  const rows = document.querySelectorAll(`${source.dataset.rowIndex} tr`).length;
  event.detail.parameters.index = String(rows);
});
document.addEventListener("htmx:afterSwap", (event) => {
  // With an outerHTML swap the event's target has left the page: look in the page instead.
  const target = event.target;
  const root = target instanceof HTMLElement && target.isConnected ? target : document.querySelector("main");
  if (root) showFirstError(root);
});
// A long list (an enterprise's 200 drivers) gets a search box above it: typing narrows the
// options to those containing the words typed, accents ignored, and picks the only match.
function fold(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.filterSelect) return;
  const select = document.getElementById(box.dataset.filterSelect);
  if (!(select instanceof HTMLSelectElement)) return;
  const words = fold(box.value).split(/\s+/).filter(Boolean);
  const shown = [];
  for (const option of select.options) {
    if (!option.value) continue;
    const text = fold(option.text);
    option.hidden = !words.every((word) => text.includes(word));
    if (!option.hidden) shown.push(option);
  }
  if (shown.length === 1) select.value = shown[0].value;
});
