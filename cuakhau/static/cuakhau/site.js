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
