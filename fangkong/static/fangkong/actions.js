// Small page behaviours, declared in markup with data- attributes instead of inline
// handlers, which the Content-Security-Policy forbids.
//   data-print            a button that prints the page
//   data-confirm="…"      a form that asks before it is sent
//   data-export="url"     a link that carries the list's current filters to the export
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-print]")) {
    window.print();
    return;
  }
  const exportLink = target.closest("a[data-export]");
  if (exportLink) exportLink.href = exportLink.dataset.export + window.location.search;
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
