/* The agent's phone app: today's route, stop reports and hand-over receipts, offline first.
 *
 * Every action goes into an IndexedDB queue with its own idempotency key before anything is
 * sent, so a lost answer or a cut signal is retried with the same key and applied once.
 */
(function () {
  "use strict";
  const { t, N_, el, api, auth, loginGate, hhmm, cstDate, uuid, ll, makeMap, toast, stopLabel, itemName, statusLabel, readPhoto, sizedPad } = Daiban;
  const params = new URLSearchParams(location.search);
  const DAY = params.get("day") || cstDate();
  // Plain /app on a day without a route (a weekend, a holiday) shows the next day with one.
  const UPCOMING = !params.get("day");
  const state = { user: null, me: null, plan: null, changed: new Set(), centres: [], cases: {}, entrusted: {}, entrustQueued: new Set(), pending: {}, syncing: false, map: null, layer: null };
  let dbp = null;

  /* Each login has its own database on the phone, so two agents sharing one phone never see
   * each other's route or send each other's queue. The user comes from the token, which is
   * all there is offline; the server checks it on every call. */
  const USERS_KEY = "daiban_agent_users";
  const dbName = (user) => "daiban-agent-" + user;

  function tokenUser() {
    try {
      const part = auth.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return String(JSON.parse(atob(part)).sub || "") || null;
    } catch (e) { return null; }
  }

  function openDb(user) {
    return idb.openDB(dbName(user), 1, {
      upgrade(d) {
        d.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        d.createObjectStore("kv");
        d.createObjectStore("rejected", { keyPath: "key" });
      },
    });
  }

  function db() {
    if (!dbp) dbp = openDb(state.user);
    return dbp;
  }

  /** Another login on this phone: drop the routes and cases cached for earlier ones. Their
   * unsent reports stay queued in their own database until they log in again. */
  async function forgetOthers(user) {
    const known = JSON.parse(localStorage.getItem(USERS_KEY) || "[]");
    for (const other of known.filter((u) => u !== user)) {
      const d = await openDb(other);
      await d.clear("kv");
      d.close();
    }
    localStorage.setItem(USERS_KEY, JSON.stringify([user]));
  }

  async function logout() {
    try { await api("POST", "/api/auth/logout", {}); } catch (e) { /* offline: the token lapses */ }
    if (state.user) await (await db()).clear("kv");
    auth.token = null;
    location.reload();
  }
  const kvGet = async (k) => (await db()).get("kv", k);
  const kvSet = async (k, v) => (await db()).put("kv", v, k);

  /* ---------- the queue ---------- */

  async function enqueue(action) {
    action.key = action.key || uuid();
    action.created = new Date().toISOString();
    await (await db()).add("queue", action);
    await refreshPending();
    sync();
  }

  async function refreshPending() {
    const items = await (await db()).getAll("queue");
    state.pending = {};
    items.forEach((a) => { if (a.kind === "stop") state.pending[a.stopId] = a.body.status; });
    state.entrustQueued = new Set(items.filter((a) => a.kind === "entrust").map((a) => a.caseId));
    const n = items.length;
    document.getElementById("queue-count").textContent = n ? t("Waiting to sync ({n})", { n }) : t("All synced");
    document.getElementById("sync-now").classList.toggle("waiting", n > 0);
    const rejected = await (await db()).getAll("rejected");
    const box = document.getElementById("rejected");
    box.hidden = !rejected.length;
    box.textContent = rejected.length ? t("Not accepted by the server ({n}): ", { n: rejected.length }) + rejected.map((r) => r.label + " — " + r.error).join("; ") : "";
    if (state.plan) render();
    return n;
  }

  async function send(a) {
    if (a.kind === "stop") return api("PATCH", "/api/plans/stops/" + a.stopId, a.body);
    if (a.kind === "custody") return api("POST", "/api/cases/" + a.caseId + "/custody", a.body);
    if (a.kind === "return") {
      // A status move needs the case's current ETag; fetch it now, not when it was queued.
      const cur = await api("GET", "/api/cases/" + a.caseId);
      if (cur.data.status === a.body.to) return cur; // already applied by an earlier try
      return api("POST", "/api/cases/" + a.caseId + "/transitions", a.body, { "If-Match": cur.headers.get("ETag") });
    }
    if (a.kind === "entrust") {
      // In force already (an earlier try whose answer was lost, or signed at the room): done.
      try {
        const cur = await api("GET", "/api/cases/" + a.caseId + "/entrustment");
        if (cur.data.in_force) return cur;
      } catch (err) { if (err.status !== 404) throw err; }
      return api("POST", "/api/cases/" + a.caseId + "/entrustment", a.body);
    }
    if (a.kind === "ack") return api("POST", "/api/notifications/" + encodeURIComponent(a.messageId) + "/ack", {});
    throw new Error("unknown action " + a.kind);
  }

  /** Send queued actions oldest first, one at a time. A lost connection or a server error
   * keeps that action and the rest, in order, and tries again soon with the same keys. */
  async function sync() {
    if (state.syncing || !navigator.onLine) return;
    state.syncing = true;
    let sent = 0, cut = false;
    try {
      for (;;) {
        const d = await db();
        const cursor = await d.transaction("queue").store.openCursor();
        if (!cursor) break;
        const a = cursor.value;
        let res = null;
        try {
          res = await send(a);
        } catch (err) {
          if (err.status === 401) break; // the login expired: the next login syncs
          if (err.status === 0 || err.status >= 500) { cut = true; break; }
          await d.put("rejected", { key: a.key, label: a.label || a.kind, error: err.message, action: a });
        }
        if (res && a.kind === "stop") await restop(a.stopId, res.data);
        if (res && a.kind === "entrust") { state.entrusted[a.caseId] = res.data; await kvSet("entrusted", state.entrusted); }
        await d.delete("queue", a.seq);
        sent += 1;
      }
    } finally {
      state.syncing = false;
    }
    retryLater(cut);
    const left = await refreshPending();
    if (sent && !left) await pull();
  }

  // After a cut, try again in 1 s, then 2, 4 ... up to 30 s; going online retries at once.
  const RETRY_MS = [1000, 30000];
  let retryMs = RETRY_MS[0], retryTimer = null;
  function retryLater(cut) {
    if (!cut) { retryMs = RETRY_MS[0]; return; }
    if (retryTimer) return;
    retryTimer = setTimeout(() => { retryTimer = null; sync(); }, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MS[1]);
  }

  /** A report went to the same task in a newer plan version: name the stop by its new id from
   * now on, in the actions still queued and in the cached plan. A task the re-plan gave to
   * another agent keeps its old id here: this agent can report on it only through that one. */
  async function restop(oldId, answer) {
    const newId = answer.id;
    if (newId === oldId || !state.me || answer.agent_id !== state.me.agent_id) return;
    const tx = (await db()).transaction("queue", "readwrite");
    for (let c = await tx.store.openCursor(); c; c = await c.continue()) {
      if (c.value.kind === "stop" && c.value.stopId === oldId) await c.update(Object.assign(c.value, { stopId: newId }));
    }
    await tx.done;
    if (!state.plan) return;
    state.plan.routes.forEach((r) => r.stops.forEach((s) => { if (s.id === oldId) s.id = newId; }));
    await kvSet("plan:" + DAY, state.plan);
  }

  /* ---------- the plan ---------- */

  function stopSignature(s) { return [s.seq, s.arrival, s.window_start, s.window_end, (s.cases || []).map((c) => c.id).join(",")].join("|"); }

  async function pull() {
    let fresh;
    try {
      fresh = (await api("GET", "/api/plans/today?day=" + encodeURIComponent(DAY) + (UPCOMING ? "&upcoming=true" : ""))).data;
    } catch (err) {
      if (err.status === 404) { state.plan = null; render(); document.getElementById("plan-info").textContent = t("No published route for you on {day}", { day: DAY }); return; }
      if (err.status === 401) { auth.token = null; location.reload(); return; }
      return; // offline: keep the cached plan
    }
    const old = state.plan;
    if (old && (old.id !== fresh.id || old.version !== fresh.version)) {
      const before = {};
      (old.routes[0] ? old.routes[0].stops : []).forEach((s) => { before[s.task_key + "/" + s.kind] = stopSignature(s); });
      state.changed = new Set();
      (fresh.routes[0] ? fresh.routes[0].stops : []).forEach((s) => {
        if (before[s.task_key + "/" + s.kind] !== stopSignature(s)) state.changed.add(s.id);
      });
      const box = document.getElementById("changes");
      box.hidden = false;
      box.textContent = t("The plan changed: version {v}. Changed stops are marked.", { v: fresh.version });
    }
    state.plan = fresh;
    await kvSet("plan:" + DAY, fresh);
    if (fresh.day !== DAY) await kvSet("plan:" + fresh.day, fresh); // opened offline on that day

    await prefetchCases(fresh);
    render();
  }

  async function prefetchCases(plan) {
    const ids = new Set();
    (plan.routes[0] ? plan.routes[0].stops : []).forEach((s) => (s.cases || []).forEach((c) => ids.add(c.id)));
    for (const id of ids) {
      try { state.cases[id] = (await api("GET", "/api/cases/" + id)).data; } catch (e) { /* keep the cached copy */ }
    }
    for (const id of ids) {
      if (!state.cases[id] || state.cases[id].channel !== "agent") continue;
      try { state.entrusted[id] = (await api("GET", "/api/cases/" + id + "/entrustment")).data; }
      catch (e) { if (e.status === 404) state.entrusted[id] = null; /* else keep the cached one */ }
    }
    try { state.centres = (await api("GET", "/api/centres/?page_size=100")).data; } catch (e) { /* cached */ }
    await kvSet("cases", state.cases);
    await kvSet("entrusted", state.entrusted);
    await kvSet("centres", state.centres);
  }

  /* ---------- the page ---------- */

  const ACTIONS = { collect: N_("Collect"), hand_over: N_("Hand over"), visit: N_("Home visit"), ride: N_("Ride home") };
  const ACTIONABLE = (s) => s.task_key && !["start", "end", "break"].includes(s.kind);

  function statusOf(s) { return state.pending[s.id] || s.status; }
  /** A later day's route, shown ahead of time: read, not reported on. */
  const isAhead = (plan) => UPCOMING && plan.day > cstDate();

  function render() {
    const list = document.getElementById("stops");
    list.replaceChildren();
    const plan = state.plan;
    if (!plan || !plan.routes.length) { drawMap([]); return; }
    const route = plan.routes[0];
    document.getElementById("plan-info").textContent = t("{township}, {day}, plan version {v}", { township: plan.township, day: plan.day, v: plan.version });
    const ahead = document.getElementById("ahead");
    ahead.hidden = !isAhead(plan);
    ahead.textContent = ahead.hidden ? "" : t("No route for you today ({today}). This is your route for the next working day, {day}; stops can be reported on that day.", { today: cstDate(), day: plan.day });
    route.stops.forEach((s) => list.append(stopCard(s)));
    drawMap(route.stops);
  }

  function stopCard(s) {
    const status = statusOf(s);
    const waiting = state.pending[s.id] ? el("span", { class: "badge wait" }, t("waiting to sync")) : null;
    const li = el("li", { class: "stop card status-" + status + (state.changed.has(s.id) ? " changed" : ""), "data-stop": s.id, "data-kind": s.kind });
    const win = s.window_start ? t("window {a}–{b}", { a: hhmm(s.window_start), b: hhmm(s.window_end) }) : "";
    li.append(el("div", { class: "stop-head" },
      el("span", { class: "eta" }, hhmm(s.arrival)),
      el("span", { class: "label" }, stopLabel(s)),
      el("span", { class: "badge " + status }, statusLabel("stop", status)), waiting));
    const meta = el("div", { class: "meta" });
    if (win) meta.append(el("span", {}, win));
    if (s.action) meta.append(el("span", { class: "action" }, t(ACTIONS[s.action] || s.action)));
    li.append(meta);
    if (s.contact) {
      li.append(el("div", { class: "contact" },
        el("span", {}, s.contact.name + " · " + (s.contact.address || "")),
        s.contact.phone ? el("a", { class: "call", href: "tel:" + s.contact.phone }, "☎ " + t("Call")) : null));
    }
    (s.cases || []).forEach((c) => li.append(caseBlock(s, c)));
    if (s.nav && ACTIONABLE(s)) {
      li.append(el("div", { class: "nav" },
        el("a", { href: s.nav.amap, target: "_blank", rel: "noopener" }, t("AMap")),
        el("a", { href: s.nav.baidu }, t("Baidu Maps")),
        el("a", { href: s.nav.geo }, t("Other map app"))));
    }
    if (ACTIONABLE(s) && !isAhead(state.plan) && (status === "planned" || status === "arrived")) {
      const buttons = el("div", { class: "buttons" });
      if (status === "planned") buttons.append(el("button", { type: "button", class: "arrived", onclick: () => report(s, "arrived") }, t("Arrived")));
      buttons.append(el("button", { type: "button", class: "done primary", onclick: () => complete(s) }, t("Done")));
      buttons.append(el("button", { type: "button", class: "failed", onclick: () => failStop(s) }, t("Failed")));
      li.append(buttons);
    } else if (s.fail_reason) {
      li.append(el("p", { class: "muted" }, s.fail_reason));
    }
    return li;
  }

  function caseBlock(s, c) {
    const box = el("details", { class: "case", open: statusOf(s) !== "done" && s.action !== "hand_over" });
    box.append(el("summary", {}, c.reference + " · " + itemName(c) + (c.in_person ? " · " + t("applicant must come in person") : "")));
    if (s.action !== "hand_over") {
      const ul = el("ul", { class: "checklist" });
      (c.materials || []).forEach((m, i) => {
        const id = "m-" + s.id + "-" + c.id + "-" + i;
        ul.append(el("li", {}, el("input", { type: "checkbox", id, checked: true, "data-case": c.id, "data-material": m.name }),
          el("label", { for: id }, m.name + " ×" + (m.copies || 1) + (m.original ? " " + t("(original)") : ""))));
      });
      box.append(ul);
    }
    const detail = state.cases[c.id];
    if (detail && detail.missing_notice) box.append(el("p", { class: "notice" }, detail.missing_notice));
    const need = entrustNeed(s, c);
    if (need === "queued") box.append(el("p", { class: "entrust-need badge wait" }, t("Entrustment signed; waiting to sync")));
    if (need === "missing") {
      box.append(el("p", { class: "entrust-need notice" }, t("No entrustment in force: the villager signs one before you take the documents"),
        " ", el("button", { type: "button", class: "entrust", onclick: () => entrust(c) }, t("Sign the entrustment"))));
    }
    return box;
  }

  /** An agent case collected here needs the villager's entrustment first: "missing", "queued"
   * (signed on this phone, not yet synced) or null (in force, not needed, or not known yet). */
  function entrustNeed(s, c) {
    const detail = state.cases[c.id];
    if (!["collect", "visit"].includes(s.action) || !detail || detail.channel !== "agent") return null;
    if (isAhead(state.plan) || statusOf(s) === "done") return null; // read-only, or over
    if (state.entrustQueued.has(c.id)) return "queued";
    const found = state.entrusted[c.id];
    if (found === undefined || (found && found.in_force)) return null;
    return "missing";
  }

  function entrust(c) {
    DaibanEntrust.capture(state.cases[c.id], async (body) => {
      await enqueue({ kind: "entrust", caseId: c.id, label: c.reference + " " + t("entrustment"), body });
      toast(navigator.onLine ? t("Saved") : t("Saved on the phone; it will sync when there is a signal"));
    });
  }

  function drawMap(stops) {
    if (!state.map) state.map = makeMap(document.getElementById("map"));
    if (state.layer) state.layer.remove();
    state.layer = L.layerGroup().addTo(state.map);
    const pts = stops.filter((s) => s.lon && s.lat).map((s) => ll(s.lon, s.lat));
    if (!pts.length) return;
    L.polyline(pts, { color: "#1565c0", weight: 4 }).addTo(state.layer);
    stops.filter(ACTIONABLE).forEach((s) => {
      L.circleMarker(ll(s.lon, s.lat), { radius: 8, color: statusOf(s) === "done" ? "#2e7d32" : "#1565c0", fillOpacity: 0.9 })
        .bindTooltip(String(s.seq) + " " + stopLabel(s)).addTo(state.layer);
    });
    state.map.fitBounds(L.latLngBounds(pts).pad(0.2));
  }

  /* ---------- actions at a stop ---------- */

  async function report(s, status, reason) {
    await enqueue({ kind: "stop", stopId: s.id, label: stopLabel(s) + " → " + statusLabel("stop", status),
      body: { status, reason: reason || "", at: new Date().toISOString(), idempotency_key: uuid() } });
  }

  function failStop(s) {
    const dlg = document.getElementById("fail");
    dlg.returnValue = "";
    dlg.onclose = () => {
      if (dlg.returnValue !== "ok") return;
      const note = document.getElementById("fail-note").value.trim();
      const reason = document.getElementById("fail-reason").value + (note ? ": " + note : "");
      report(s, "failed", reason);
      document.getElementById("fail-note").value = "";
    };
    dlg.showModal();
  }

  function nearestCentre(s) {
    let best = null, dist = Infinity;
    state.centres.forEach((c) => {
      const d = (c.lon - s.lon) ** 2 + (c.lat - s.lat) ** 2;
      if (d < dist) { dist = d; best = c; }
    });
    return best;
  }

  /** Who receives the documents of a case at this stop. */
  function receiver(s, c) {
    const detail = state.cases[c.id] || {};
    const held = detail.holder_kind === "agent" && detail.holder_id === state.me.agent_id;
    if (s.action === "collect" || (s.action === "visit" && !held)) return { to_kind: "agent", to_id: state.me.agent_id };
    if (s.contact && detail.applicant_id) return { to_kind: "applicant", to_id: detail.applicant_id };
    const centre = nearestCentre(s);
    return centre ? { to_kind: "centre", to_id: centre.id } : null;
  }

  let pad = null;
  function complete(s) {
    if (!(s.cases || []).length) { report(s, "done"); return; }
    const dlg = document.getElementById("receipt");
    const canvas = document.getElementById("signature");
    const msg = dlg.querySelector(".msg");
    if (!pad) {
      pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#000" });
      document.getElementById("sig-clear").onclick = () => pad.clear();
    }
    pad.clear();
    msg.textContent = "";
    document.getElementById("photo").value = "";
    const li = document.querySelector('[data-stop="' + s.id + '"]');
    const missing = {};
    li.querySelectorAll("input[data-material]").forEach((box) => {
      if (!box.checked) (missing[box.dataset.case] = missing[box.dataset.case] || []).push(box.dataset.material);
    });
    const cases = document.getElementById("receipt-cases");
    cases.replaceChildren(...s.cases.map((c) => el("p", {}, c.reference + " · " + itemName(c) +
      (missing[c.id] ? " — " + t("missing: {m}", { m: missing[c.id].join("、") }) : ""))));
    document.getElementById("receipt-ok").onclick = async (ev) => {
      ev.preventDefault();
      if (pad.isEmpty()) { msg.textContent = t("Please sign first"); return; }
      const signature = pad.toDataURL("image/png");
      const photo = await readPhoto(document.getElementById("photo"));
      dlg.close("ok");
      await handOver(s, signature, photo, missing);
    };
    dlg.showModal();
    sizedPad(canvas, pad); // the canvas had no size while the dialog was closed
  }

  async function handOver(s, signature, photo, missing) {
    const at = new Date().toISOString();
    for (const c of s.cases) {
      if (missing[c.id] && s.action !== "hand_over") {
        // Incomplete documents stay with the villager, who gets the written one-time notice.
        await enqueue({ kind: "return", caseId: c.id, label: c.reference + " → " + statusLabel("case", "returned"),
          body: { to: "returned", note: t("Materials incomplete at the stop"), missing: missing[c.id] } });
        continue;
      }
      const to = receiver(s, c);
      if (!to) continue;
      const body = Object.assign({ at, items: (c.materials || []).map((m) => m.name), signature_png: signature,
        note: s.label, idempotency_key: uuid() }, to);
      if (s.lon && s.lat) { body.lon = s.lon; body.lat = s.lat; }
      if (photo) body.photo_jpeg = photo;
      await enqueue({ kind: "custody", caseId: c.id, label: c.reference + " " + t("hand-over receipt"), body });
    }
    await report(s, "done");
    toast(navigator.onLine ? t("Saved") : t("Saved on the phone; it will sync when there is a signal"));
  }

  /* ---------- start ---------- */

  function showNet() {
    const net = document.getElementById("net");
    net.textContent = navigator.onLine ? t("Online") : t("Offline");
    net.className = "net " + (navigator.onLine ? "on" : "off");
  }

  async function registerPush() {
    if (!Daiban.CONFIG.push || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
    try {
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true });
      await api("POST", "/api/devices/", { token: JSON.stringify(sub), platform: "web", app_version: "web-1" });
    } catch (e) { /* push is optional */ }
  }

  async function start(me) {
    state.user = tokenUser();
    if (!state.user) { auth.token = null; location.reload(); return; }
    await forgetOthers(state.user);
    document.getElementById("app").hidden = false;
    document.getElementById("logout").hidden = false;
    state.me = me || (await kvGet("me"));
    if (me) await kvSet("me", me);
    state.plan = (await kvGet("plan:" + DAY)) || null;
    state.cases = (await kvGet("cases")) || {};
    state.entrusted = (await kvGet("entrusted")) || {};
    state.centres = (await kvGet("centres")) || [];
    await refreshPending();
    render();
    await sync();
    await pull(); // always pull on open
    registerPush();
  }

  /** Without its service worker the app does not open offline: say so, on the page and in
   * the console, instead of failing quietly. */
  function offlineUnavailable(text, err) {
    console.error("Daiban: the service worker is not registered; the app will not open offline.", err || text);
    const box = document.getElementById("sw-error");
    box.hidden = false;
    box.textContent = text;
  }

  if (!("serviceWorker" in navigator)) {
    offlineUnavailable(t("This browser or address (HTTPS is needed) cannot keep the app for offline use."));
  } else {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app" }).catch((err) =>
      offlineUnavailable(t("The app could not be set up for offline use: {e}", { e: err.message || String(err) }), err));
    navigator.serviceWorker.addEventListener("message", (ev) => {
      const id = ev.data && ev.data.data && ev.data.data.message_id;
      if (ev.data && ev.data.type === "push" && id) enqueue({ kind: "ack", messageId: id, label: t("Push receipt") }).then(pull);
    });
  }
  window.addEventListener("online", () => { showNet(); sync().then(pull); });
  window.addEventListener("offline", showNet);
  document.getElementById("sync-now").addEventListener("click", () => sync().then(pull));
  document.getElementById("logout").addEventListener("click", logout);
  setInterval(() => { if (navigator.onLine) sync(); }, 20000);
  showNet();
  loginGate(document.getElementById("login"), start);
})();
