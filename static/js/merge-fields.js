// The campaign editor's merge-field picker: a button inserts {{ field }} at the cursor of the
// message textarea edited last (or the first one). No inline script: the CSP refuses those.
(function () {
  "use strict";
  let target = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("textarea[data-merge-target]")) target = event.target;
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-merge-field]");
    if (!button) return;
    const area = target || document.querySelector("textarea[data-merge-target]");
    if (!area) return;
    const text = "{{ " + button.dataset.mergeField + " }}";
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? start;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + text.length;
  });
})();
