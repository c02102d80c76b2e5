/* Daiban agent app service worker: the shell and today's plan work without a signal. */
const SHELL = "daiban-shell-v4";
const URLS = {{ [
  "/app",
  url_for('web.static', filename='css/daiban.css'),
  url_for('web.static', filename='vendor/gcoord.global.prod.js'),
  url_for('web.static', filename='js/common.js'),
  url_for('web.static', filename='js/entrust.js'),
  url_for('web.static', filename='js/agent.js'),
  url_for('web.static', filename='vendor/idb.umd.js'),
  url_for('web.static', filename='vendor/signature_pad.umd.min.js'),
  url_for('web.static', filename='icons/icon.svg'),
  "/web/vendor/leaflet/leaflet.js",
  "/web/vendor/leaflet/leaflet.css",
  "/web/divisions/counties.geojson",
  "/web/divisions/townships.geojson",
  "/app/manifest.webmanifest",
]|tojson }};

self.addEventListener("install", (ev) => {
  ev.waitUntil(caches.open(SHELL).then((c) => c.addAll(URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (ev) => {
  ev.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k !== SHELL).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

// Network first, so a new version reaches the phone; the cache answers when there is no signal.
// Only the shell is cached here, which is the same for everyone. No API answer is: the page
// keeps each login's route in that login's own IndexedDB, so agents sharing a phone stay apart.
self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  ev.respondWith(fetch(req).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(SHELL).then((c) => c.put(url.pathname === "/app" ? "/app" : req, copy));
    }
    return resp;
  }).catch(() => caches.match(url.pathname === "/app" ? "/app" : req, { ignoreVary: true })));
});

// Push (only when the server has a push channel configured): show it and let the page ack it.
self.addEventListener("push", (ev) => {
  let data = {};
  try { data = ev.data ? ev.data.json() : {}; } catch (e) { data = {}; }
  ev.waitUntil(Promise.all([
    self.registration.showNotification(data.title || {{ _("Daiban")|tojson }}, { body: data.body || "", data }),
    self.clients.matchAll().then((cs) => cs.forEach((c) => c.postMessage({ type: "push", data }))),
  ]));
});
