// The campaign editor's merge-field pickers: each language's picker inserts {{ field }} at the
// cursor of that language's subject or message, whichever was edited last (the message when
// neither was). It works from the keyboard: type, Tab to the picker, choose, Tab, Enter; the
// focus goes back to the text just after what was inserted. No inline script: the CSP refuses
// those.
(function () {
  "use strict";
  const lastEdited = new WeakMap();
  document.addEventListener("focusin", function (event) {
    const field = event.target;
    if (!field.matches("[data-merge-target]")) return;
    const group = field.closest("[data-merge-group]");
    if (group) lastEdited.set(group, field);
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-merge-insert]");
    if (!button) return;
    const group = button.closest("[data-merge-group]");
    const choice = group && group.querySelector("[data-merge-choice]");
    const area = group && (lastEdited.get(group) || group.querySelector("textarea[data-merge-target]"));
    if (!choice || !area) return;
    const text = "{{ " + choice.value + " }}";
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? start;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + text.length;
  });
})();
