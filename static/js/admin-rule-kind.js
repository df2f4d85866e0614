// The earning rule's admin form shows only the fields of the chosen kind, each with the help
// for that kind; the friend's points show only for the "inviting a friend" event. The kind's
// select carries what to show (loyalty/admin_rules.py): data-rule-fields {kind: [field]},
// data-rule-help {kind: {field: help}}, data-rule-only-for-event {field: event}. Without this
// script every field shows, with a note naming the kinds that use it; the server ignores the
// fields a kind does not use either way. No inline script: the CSP refuses those.
(function () {
  "use strict";

  function setUp() {
    const kind = document.querySelector("select[data-rule-fields]");
    if (!kind || !kind.form) return;
    const form = kind.form;
    const fieldsOf = JSON.parse(kind.dataset.ruleFields);
    const helpOf = JSON.parse(kind.dataset.ruleHelp || "{}");
    const onlyForEvent = JSON.parse(kind.dataset.ruleOnlyForEvent || "{}");
    const event = form.querySelector("[name=event]");
    const names = new Set(Object.values(fieldsOf).flat());

    function row(name) {
      return form.querySelector(".form-row.field-" + name);
    }

    function helpText(line) {
      // Found in the row: a group of checkboxes has no id for its help.
      const box = line.querySelector(".help");
      return box && (box.firstElementChild || box);
    }

    function update() {
      const used = new Set(fieldsOf[kind.value] || []);
      for (const [name, value] of Object.entries(onlyForEvent)) {
        if (!event || event.value !== value) used.delete(name);
      }
      const help = helpOf[kind.value] || {};
      names.forEach(function (name) {
        const line = row(name);
        if (!line) return;
        line.hidden = !used.has(name);
        const text = helpText(line);
        if (text && help[name]) text.textContent = help[name];
      });
      // A fieldset left with no field to fill (no kind chosen yet) goes too.
      form.querySelectorAll("fieldset").forEach(function (fieldset) {
        const lines = Array.from(fieldset.querySelectorAll(".form-row"));
        const ours = lines.some(function (line) {
          return Array.from(names).some(function (name) {
            return line.classList.contains("field-" + name);
          });
        });
        if (ours) fieldset.hidden = lines.every(function (line) { return line.hidden; });
      });
    }

    kind.addEventListener("change", update);
    if (event) event.addEventListener("change", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
