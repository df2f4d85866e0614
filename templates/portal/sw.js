{% autoescape off %}/* Tessera's service worker: keeps the member card and the vouchers (with their QR codes) available
 * offline once they have been seen. Network first (the pages are always fresh when online), the
 * saved copy when offline. The saved copies are dropped when the member is signed out, so a
 * shared device keeps nobody's card or vouchers (signing out also sends Clear-Site-Data). */
const CACHE = "tessera-member-{{ version|escapejs }}";
// Older names of this cache ("tessera-card-" kept the card alone): removed like old versions.
const PREFIXES = ["tessera-member-", "tessera-card-"];
const CARD_URL = "{{ card_url|escapejs }}";
const VOUCHERS_URL = "{{ vouchers_url|escapejs }}";
const PAGES = [CARD_URL, VOUCHERS_URL];
// A voucher's QR image: QR_PREFIX + its code + QR_SUFFIX.
const QR_PREFIX = "{{ qr_prefix|escapejs }}";
const QR_SUFFIX = "{{ qr_suffix|escapejs }}";
const ASSETS = [{% for asset in assets %}"{{ asset|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
// What the saved pages show besides the fingerprinted assets: the shop's colours and logo.
const FRAME = [{% for asset in frame %}"{{ asset|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

function isQr(path) {
  return path.startsWith(QR_PREFIX) && path.endsWith(QR_SUFFIX) && path.length > QR_PREFIX.length + QR_SUFFIX.length;
}

// What may be saved, by path: the two pages, the QR codes they show and the page frame.
function isKept(path) {
  return PAGES.includes(path) || isQr(path) || FRAME.includes(path);
}

function forget() {
  return caches.keys().then((keys) => Promise.all(
    keys.filter((key) => PREFIXES.some((prefix) => key.startsWith(prefix))).map((key) => caches.delete(key))
  ));
}

// A saved page that now sends elsewhere (to sign in, or to join: no member signed in here). A
// navigation's redirect reaches the worker unfollowed, as an "opaqueredirect".
function leadsElsewhere(url, response) {
  return PAGES.includes(url.pathname) && (response.type === "opaqueredirect" || response.redirected);
}

// Pages are saved under their path (no query string); images and styles under their full URL.
function keyOf(url) {
  return PAGES.includes(url.pathname) ? url.pathname : url.href;
}

function save(url, response) {
  if (leadsElsewhere(url, response)) return forget();  // nobody's pages stay on this device
  if (!response.ok || response.redirected) return Promise.resolve();
  return caches.open(CACHE).then((cache) => cache.put(keyOf(url), response));
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => PREFIXES.some((prefix) => key.startsWith(prefix)) && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

// portal.js: "forget" when the member signs out; {keep: [urls]} for a page that was loaded
// before this worker controlled it, or whose content htmx has just changed.
self.addEventListener("message", (event) => {
  const data = event.data;
  if (data === "forget" || data === "forget-card") {
    event.waitUntil(forget());
  } else if (data && Array.isArray(data.keep)) {
    const urls = data.keep
      .map((href) => new URL(href, self.location.href))
      .filter((url) => url.origin === self.location.origin && isKept(url.pathname));
    event.waitUntil(Promise.all(urls.map((url) =>
      fetch(url.href, { credentials: "same-origin", cache: "no-store" })
        .then((response) => save(url, response))
        .catch(() => {})
    )));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isKept(url.pathname)) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          event.waitUntil(save(url, response.clone()));
          return response;
        })
        .catch(() => caches.match(keyOf(url)).then((cached) => cached || Response.error()))
    );
    return;
  }
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((cached) => cached || fetch(request)));
  }
});
{% endautoescape %}
