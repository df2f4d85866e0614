/* The member portal's small enhancements; every page works without them.
 * - the member card and the vouchers work offline (service worker, registered from /me/);
 * - copy and share buttons on the invite page (navigator.clipboard, navigator.share);
 * - signing out forgets the saved card and vouchers;
 * - confirmation panels (rewards, vouchers): focus moves into what htmx swapped in, and "Not now"
 *   closes the panel and gives focus back to the button that opened it. */
(function () {
  "use strict";
  var script = document.currentScript;

  // A page kept for offline use (the card, the vouchers) has an offline note.
  var offlineNote = document.querySelector("[data-offline-note]");
  var servedByWorker = "serviceWorker" in navigator && !!navigator.serviceWorker.controller;

  // Asks the worker to save this page and the images it shows (it keeps only what it may).
  function keepForOffline() {
    if (!offlineNote || !navigator.onLine || !("serviceWorker" in navigator)) {
      return;
    }
    var urls = [window.location.pathname];
    document.querySelectorAll("img[src]").forEach(function (image) { urls.push(image.src); });
    document.querySelectorAll('link[rel="stylesheet"][href]').forEach(function (link) { urls.push(link.href); });
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) {
        registration.active.postMessage({ keep: urls });
      }
    });
  }

  if ("serviceWorker" in navigator && script && script.dataset.serviceWorker) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(script.dataset.serviceWorker).catch(function () {});
      // The first visit reached the server directly: the worker saves the page now.
      if (!servedByWorker) {
        keepForOffline();
      }
    });
  }

  if (offlineNote) {
    var showOffline = function () { offlineNote.hidden = navigator.onLine; };
    window.addEventListener("online", showOffline);
    window.addEventListener("offline", showOffline);
    showOffline();
  }

  // Signing out on this device removes the card and vouchers saved for offline use.
  document.querySelectorAll('form[action$="/accounts/logout/"]').forEach(function (form) {
    form.addEventListener("submit", function () {
      if ("caches" in window) {
        caches.keys().then(function (keys) {
          keys.filter(function (key) { return key.indexOf("tessera-member-") === 0 || key.indexOf("tessera-card-") === 0; })
            .forEach(function (key) { caches.delete(key); });
        });
      }
    });
  });

  function announce(button, text) {
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (status) {
      status.textContent = text;
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) {
      return; // the link stays selectable in its field
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(field.value).then(
        function () { announce(button, button.dataset.copied); },
        function () { field.select(); }
      );
    });
  });

  document.querySelectorAll("[data-share]").forEach(function (button) {
    if (!navigator.share) {
      return; // no share sheet in this browser: the copy button is there
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({
        title: button.dataset.shareTitle,
        text: button.dataset.shareText,
        url: button.dataset.share,
      }).catch(function () {});
    });
  });

  // Submit buttons for pages without JavaScript (the rewards filters apply on change here).
  document.querySelectorAll("[data-no-js-only]").forEach(function (element) {
    element.hidden = true;
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var focus = target && target.querySelector ? target.querySelector("[data-autofocus]") : null;
    if (!focus && target && target.id) {
      // An outerHTML swap replaces the target: look for the new element with the same id.
      var swapped = document.getElementById(target.id);
      focus = swapped ? swapped.querySelector("[data-autofocus]") : null;
    }
    if (focus) {
      focus.focus();
    }
    // A change made in place (a voucher cancelled): the saved copy of the page follows.
    if (event.detail.requestConfig && event.detail.requestConfig.verb !== "get") {
      keepForOffline();
    }
  });

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest ? event.target.closest("[data-dismiss]") : null;
    var slot = dismiss ? dismiss.closest("[data-confirm-slot]") : null;
    if (!slot) {
      return; // the confirmation page: the link goes back
    }
    event.preventDefault();
    slot.innerHTML = "";
    var opener = document.querySelector('[aria-controls="' + slot.id + '"]');
    if (opener) {
      opener.focus();
    }
  });
})();
