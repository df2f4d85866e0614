/* A form that comes back with errors opens where the first error is: its field gets the focus
 * (which scrolls it into view), so a phone's reader sees why nothing was saved and a keyboard
 * or screen reader user is at the field to mend. Without this script the errors are still
 * there, at their fields, only further down the page. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector(
      ".field--invalid input:not([type=hidden]), .field--invalid select, .field--invalid textarea"
    );
    if (first) {
      first.focus();
    }
  });
})();
