/* The dispatcher console: one township's day of routes, moves, versions and messages. */
(function () {
  "use strict";
  const { t, N_, el, api, loginGate, hhmm, cstDate, ll, makeMap, estimateBadge, COLOURS, toast, stopLabel, statusLabel } = Daiban;
  const params = new URLSearchParams(location.search);
  const s = { township: null, day: params.get("day") || cstDate(), plans: [], plan: null, map: null, layer: null, villages: null, agents: [] };
  const FIXED = ["start", "end", "break"];
  const colour = (i) => COLOURS[i % COLOURS.length];
  // Words the API sends as keys (vehicle kinds), shown with t(key): listed only so that
  // pybabel extracts them. Statuses are shown with statusLabel, from the server's one table.
  const KEYS = [N_("car"), N_("motorbike")];
  const CONSTRAINT = N_("Constraint");
  const VIOLATIONS = { skills: N_("The vehicle lacks a needed skill (a car or seats)"), time_window: N_("Arrives outside the time window"), capacity: N_("Over the bag or seat capacity"), shift: N_("Outside the agent’s shift"), max_travel_time: N_("Over the longest allowed day") };

  async function loadPlans(selectId) {
    s.plans = (await api("GET", "/api/plans/?page_size=50&township=" + s.township + "&day=" + s.day)).data;
    const sel = document.getElementById("versions");
    sel.replaceChildren(...s.plans.map((p) => el("option", { value: p.id }, "v" + p.version + " · " + statusLabel("plan", p.status))));
    if (!s.plans.length) { s.plan = null; renderAll(); return; }
    const pick = selectId || (s.plans.find((p) => p.status === "draft") || s.plans.find((p) => p.status === "published") || s.plans[0]).id;
    sel.value = pick;
    await loadPlan(pick);
  }

  async function loadPlan(id) {
    s.plan = (await api("GET", "/api/plans/" + id)).data;
    renderAll();
    loadDiff();
    guarded(loadOverrides);
  }

  function renderAll() {
    const p = s.plan;
    document.getElementById("plan-status").textContent = p ? "v" + p.version + " " + statusLabel("plan", p.status) : t("No plan for this day");
    document.getElementById("publish").disabled = !p || p.status !== "draft";
    document.getElementById("replan").disabled = !p;
    drawMap(); drawLanes(); drawGantt(); drawBars(); drawUnassigned(); drawDispatchForms();
  }

  /* ---------- map ---------- */
  async function drawMap() {
    if (!s.map) s.map = makeMap(document.getElementById("map"));
    if (s.layer) s.layer.remove();
    s.layer = L.layerGroup().addTo(s.map);
    if (!s.villages) {
      try { s.villages = (await api("GET", "/api/regions/?page_size=100&level=village&parent=" + s.township)).data; } catch (e) { s.villages = []; }
    }
    s.villages.filter((v) => v.lon).forEach((v) => L.circleMarker(ll(v.lon, v.lat), { radius: 3, color: "#777", weight: 1 }).bindTooltip(v.name).addTo(s.layer));
    const bounds = [];
    const legend = document.getElementById("map-legend");
    legend.replaceChildren();
    (s.plan ? s.plan.routes : []).forEach((r, i) => {
      const pts = r.stops.map((x) => ll(x.lon, x.lat));
      L.polyline(pts, { color: colour(i), weight: 4, opacity: 0.8 }).addTo(s.layer);
      r.stops.forEach((x) => {
        const centre = FIXED.includes(x.kind);
        L.circleMarker(ll(x.lon, x.lat), { radius: centre ? 9 : 6, color: centre ? "#000" : colour(i), fillColor: colour(i), fillOpacity: centre ? 0.2 : 0.9 })
          .bindTooltip(r.agent + " · " + x.seq + " " + stopLabel(x)).addTo(s.layer);
      });
      bounds.push(...pts);
      legend.append(el("span", {}, el("i", { style: "background:" + colour(i) }), r.agent));
    });
    const un = s.plan && s.plan.summary && s.plan.summary.unassigned || [];
    if (un.length) legend.append(el("span", {}, "✕ " + t("unassigned: {n}", { n: un.length })));
    if (bounds.length) s.map.fitBounds(L.latLngBounds(bounds).pad(0.15));
  }

  /* ---------- lanes with drag and drop ---------- */
  let dragged = null;
  function drawLanes() {
    const lanes = document.getElementById("lanes");
    lanes.replaceChildren();
    (s.plan ? s.plan.routes : []).forEach((r, i) => {
      const ol = el("ol", { "data-agent": r.agent_id });
      r.stops.forEach((x) => {
        const fixed = FIXED.includes(x.kind) || !x.task_key;
        const li = el("li", { class: fixed ? "fixed" : "", draggable: fixed ? null : "true", style: "--c:" + colour(i),
          "data-task": x.task_key, "data-kind": x.kind, "data-stop": x.id }, hhmm(x.arrival) + " " + stopLabel(x));
        if (!fixed) {
          li.addEventListener("dragstart", (ev) => { dragged = { task: x.task_key, from: r.agent_id }; ev.dataTransfer.setData("text/plain", x.task_key); ev.dataTransfer.effectAllowed = "move"; });
        }
        li.addEventListener("dragover", (ev) => { if (dragged) { ev.preventDefault(); ev.stopPropagation(); li.classList.add("drop-before"); } });
        li.addEventListener("dragleave", () => li.classList.remove("drop-before"));
        li.addEventListener("drop", (ev) => { ev.preventDefault(); ev.stopPropagation(); li.classList.remove("drop-before"); dropAt(r, x); });
        ol.append(li);
      });
      ol.addEventListener("dragover", (ev) => { if (dragged) { ev.preventDefault(); ol.classList.add("drop-end"); } });
      ol.addEventListener("dragleave", () => ol.classList.remove("drop-end"));
      ol.addEventListener("drop", (ev) => { ev.preventDefault(); ol.classList.remove("drop-end"); dropAt(r, null); });
      lanes.append(el("div", { class: "lane" }, el("h4", { style: "color:" + colour(i) }, r.agent + (r.vehicle_kind ? " (" + t(r.vehicle_kind) + ")" : "")), ol));
    });
  }

  /** Position = the number of task stops (other than the dragged task's) before the drop point. */
  function dropAt(route, before) {
    if (!dragged) return;
    const task = dragged.task;
    dragged = null;
    let position = 0;
    for (const x of route.stops) {
      if (before && x.id === before.id) break;
      if (x.task_key && !FIXED.includes(x.kind) && x.task_key !== task) position += 1;
    }
    move({ task_key: task, agent_id: route.agent_id, position, force: false });
  }

  async function move(body) {
    const out = document.getElementById("move-result");
    try {
      const res = (await api("POST", "/api/plans/" + s.plan.id + "/moves", body)).data;
      out.replaceChildren(el("p", {}, t("Moved; new draft version {v}", { v: res.version })));
      await loadPlans(res.plan_id);
    } catch (err) {
      if (err.status === 409 && err.body.violations) { showViolations(body, err.body.violations); return; }
      out.replaceChildren(el("p", { class: "violations", role: "alert" }, err.message));
    }
  }

  function showViolations(body, violations) {
    const dlg = document.getElementById("violations");
    document.getElementById("violation-list").replaceChildren(...violations.map((v) =>
      el("li", {}, t(VIOLATIONS[v.code] || v.code || CONSTRAINT) + (v.message ? " — " + v.message : ""))));
    document.getElementById("move-result").replaceChildren(el("p", { class: "violations", role: "alert" },
      t("Move of {task} rejected: {n} violation(s)", { task: body.task_key, n: violations.length })));
    dlg.returnValue = "";
    dlg.onclose = () => { if (dlg.returnValue === "force") move(Object.assign({}, body, { force: true, note: "forced in console" })); };
    dlg.showModal();
  }

  /* ---------- absences and pins ---------- */
  // The task of a stop: its label without the half of the shipment it is.
  const taskLabel = (x) => stopLabel(x).replace(/ ?[（(](pickup|delivery|pick up|drop off|取件|交付)[）)]$/, "");
  const agentName = (id) => (s.agents.find((a) => a.id === id) || { name: "#" + id }).name;
  const whyUnplanned = (plan, key) => {
    const u = ((plan && plan.summary.unassigned) || []).find((x) => x.task_key === key);
    return u ? u.reason_text || u.reason : "—";
  };

  /** Task key -> label, for the tasks on the routes and those left unassigned. */
  function planTasks() {
    const out = new Map();
    (s.plan ? s.plan.routes : []).forEach((r) => r.stops.forEach((x) => {
      if (x.task_key && !FIXED.includes(x.kind) && !out.has(x.task_key)) out.set(x.task_key, taskLabel(x));
    }));
    ((s.plan && s.plan.summary.unassigned) || []).forEach((u) => { if (!out.has(u.task_key)) out.set(u.task_key, stopLabel(u) || u.task_key); });
    return out;
  }

  async function loadAgents() {
    const rows = (await api("GET", "/api/agents/?active=true&page_size=100")).data;
    s.agents = rows.filter((a) => !s.township || a.region_code === s.township);
  }

  function drawDispatchForms() {
    const options = (pairs) => pairs.map(([value, label]) => el("option", { value }, label));
    ["absence-agent", "pin-agent"].forEach((id) => {
      const sel = document.getElementById(id), keep = sel.value;
      sel.replaceChildren(...options(s.agents.map((a) => [a.id, a.name])));
      if (keep) sel.value = keep;
    });
    document.getElementById("pin-task").replaceChildren(...options([...planTasks()]));
    ["absence-submit", "pin-submit"].forEach((id) => { document.getElementById(id).disabled = !s.plan; });
  }

  async function loadOverrides() {
    const box = document.getElementById("overrides");
    if (!s.plan) { box.replaceChildren(); return; }
    const rows = (await api("GET", "/api/plans/" + s.plan.id + "/overrides")).data.filter((o) => o.kind === "pin" || o.kind === "absent");
    const tasks = planTasks();
    box.replaceChildren(...(rows.length ? rows.map((o) => o.kind === "absent"
      ? el("li", { "data-kind": "absent", "data-agent": o.agent_id }, t("{agent} absent: {reason}", { agent: agentName(o.agent_id), reason: o.detail.reason || "" }))
      : el("li", { "data-kind": "pin", "data-task": o.task_key }, t("{task} pinned to {agent}", { task: tasks.get(o.task_key) || o.task_key, agent: agentName(o.agent_id) }), " ",
        el("button", { type: "button", class: "unpin", onclick: () => unpin(o, tasks.get(o.task_key) || o.task_key) }, t("Unpin"))))
      : [el("li", { class: "muted" }, t("No absences or pins"))]));
  }

  function say(...parts) { document.getElementById("override-result").replaceChildren(el("p", {}, ...parts)); }

  /** "field: message" lines from an error body, flask-smorest's {json: {...}} nesting included. */
  function fieldErrors(errors, prefix) {
    return Object.entries(errors || {}).flatMap(([k, v]) => {
      const name = k === "json" || k === "query" ? prefix : (prefix ? prefix + "." : "") + k;
      if (Array.isArray(v)) return [(name || k) + ": " + v.join("; ")];
      return v && typeof v === "object" ? fieldErrors(v, name) : [(name || k) + ": " + v];
    });
  }

  function refuse(err) {
    const lines = fieldErrors(err.body && err.body.errors, "");
    document.getElementById("override-result").replaceChildren(el("div", { class: "violations", role: "alert" },
      el("p", {}, t("Not done: {m}", { m: err.message })), lines.length ? el("ul", {}, lines.map((x) => el("li", {}, x))) : null));
  }

  /** Where each task the absent agent had in ``before`` went in the current plan. */
  function movedStops(before, agentId) {
    const route = before.routes.find((r) => r.agent_id === agentId);
    const keys = new Map((route ? route.stops : []).filter((x) => x.task_key && !FIXED.includes(x.kind)).map((x) => [x.task_key, taskLabel(x)]));
    if (!keys.size) return [el("li", {}, t("They had no stops in this version"))];
    return [...keys].map(([key, label]) => {
      const now = s.plan.routes.find((r) => r.stops.some((x) => x.task_key === key));
      return el("li", { "data-task": key, class: now ? "moved" : "unplanned" },
        label + " → " + (now ? now.agent : t("not planned: {reason}", { reason: whyUnplanned(s.plan, key) })));
    });
  }

  async function markAbsent(ev) {
    ev.preventDefault();
    const agentId = Number(document.getElementById("absence-agent").value);
    const reason = document.getElementById("absence-reason").value.trim();
    const before = s.plan;
    try {
      const res = (await api("POST", "/api/plans/" + before.id + "/absences", { agent_id: agentId, reason })).data;
      await loadPlans(res.plan_id);
      say(el("strong", {}, t("{agent} is absent; version {v} is published and {n} agent(s) told.", { agent: agentName(agentId), v: res.version, n: res.notified_agents.length })),
        el("ul", {}, movedStops(before, agentId)));
    } catch (err) { refuse(err); }
  }

  async function replanBecause(reason) {
    const res = (await api("POST", "/api/plans/" + s.plan.id + "/replan", { reason })).data;
    await loadPlans(res.plan_id);
    return res;
  }

  async function pin(ev) {
    ev.preventDefault();
    const key = document.getElementById("pin-task").value, agentId = Number(document.getElementById("pin-agent").value);
    const vars = { task: planTasks().get(key) || key, agent: agentName(agentId) };
    try {
      await api("POST", "/api/plans/" + s.plan.id + "/overrides", { kind: "pin", agent_id: agentId, task_key: key });
      const res = await replanBecause(t("Pinned {task} to {agent}", vars));
      const route = s.plan.routes.find((r) => r.agent_id === agentId);
      const placed = route && route.stops.some((x) => x.task_key === key);
      say(el("strong", {}, t("Pinned {task} to {agent}; new draft version {v}.", Object.assign({ v: res.version }, vars))), " ",
        placed ? t("It is on {agent}’s route now.", vars) : t("The re-plan could not place it there: {reason}", { reason: whyUnplanned(s.plan, key) }));
    } catch (err) { refuse(err); }
  }

  async function unpin(override, label) {
    try {
      await api("DELETE", "/api/plans/" + s.plan.id + "/overrides/" + override.id);
      const res = await replanBecause(t("Unpinned {task}", { task: label }));
      say(t("Unpinned {task}; new draft version {v}.", { task: label, v: res.version }));
    } catch (err) { refuse(err); }
  }

  /* ---------- timeline ---------- */
  function drawGantt() {
    const g = document.getElementById("gantt");
    g.replaceChildren();
    if (!s.plan) return;
    const all = s.plan.routes.flatMap((r) => r.stops);
    if (!all.length) return;
    const t0 = Math.min(...all.map((x) => Date.parse(x.arrival))) - 15 * 60000;
    const t1 = Math.max(...all.map((x) => Date.parse(x.departure || x.arrival))) + 15 * 60000;
    const pct = (ms) => ((ms - t0) / (t1 - t0) * 100).toFixed(2) + "%";
    const seg = (cls, a, b, title, c) => el("div", { class: "g-seg " + cls, title, style: "left:" + pct(a) + ";width:" + (((b - a) / (t1 - t0)) * 100).toFixed(2) + "%;" + (c ? "background:" + c : "") });
    s.plan.routes.forEach((r, i) => {
      const track = el("div", { class: "g-track" });
      let prev = null;
      r.stops.forEach((x) => {
        const arr = Date.parse(x.arrival), dep = Date.parse(x.departure || x.arrival);
        if (prev !== null && arr > prev) track.append(seg("travel", prev, arr, t("Travel")));
        const ws = x.window_start ? Date.parse(x.window_start) : null;
        let begin = arr;
        if (ws && ws > arr && ws < dep) { track.append(seg("wait", arr, ws, t("Waiting"))); begin = ws; }
        if (dep > begin) track.append(seg(x.kind === "break" ? "break" : "stop", begin, dep, hhmm(x.arrival) + " " + stopLabel(x), x.kind === "break" ? null : colour(i)));
        prev = dep;
      });
      g.append(el("div", { class: "g-row" }, el("span", { class: "g-name", style: "color:" + colour(i) }, r.agent), track));
    });
    const axis = el("div", { class: "g-axis" });
    for (let k = 0; k <= 4; k++) axis.append(el("span", {}, hhmm(new Date(t0 + (t1 - t0) * k / 4).toISOString())));
    g.append(axis);
  }

  /* ---------- load balance, unassigned, diff ---------- */
  function drawBars() {
    const box = document.getElementById("bars");
    box.replaceChildren(el("div", { class: "b-row" }, el("b", {}, t("Agent")), el("b", {}, t("Hours")), el("b", {}, t("km"))));
    const agents = (s.plan && s.plan.summary.agents) || [];
    const maxH = Math.max(1, ...agents.map((a) => a.hours)), maxK = Math.max(1, ...agents.map((a) => a.km));
    agents.forEach((a) => {
      const i = s.plan.routes.findIndex((r) => r.agent_id === a.agent_id);
      box.append(el("div", { class: "b-row", style: "--c:" + colour(Math.max(i, 0)) }, el("span", {}, a.agent),
        el("div", { class: "b", style: "width:" + (a.hours / maxH * 100) + "%" }, a.hours + " h"),
        el("div", { class: "b", style: "width:" + (a.km / maxK * 100) + "%" }, a.km + " km")));
    });
    document.getElementById("spread").textContent = s.plan ? t("Spread between the longest and shortest day: {h} h", { h: s.plan.summary.spread_hours || 0 }) : "";
  }

  function drawUnassigned() {
    const tbl = document.getElementById("unassigned");
    const un = (s.plan && s.plan.summary.unassigned) || [];
    tbl.replaceChildren(el("tr", {}, el("th", {}, t("Task")), el("th", {}, t("Reason"))),
      ...(un.length ? un.map((u) => el("tr", {}, el("td", {}, stopLabel(u) || u.task_key), el("td", {}, u.reason_text || u.reason)))
        : [el("tr", {}, el("td", { colspan: 2 }, t("Every task is assigned")))]));
  }

  async function loadDiff() {
    // A task as the dispatcher knows it: where, and which case numbers (not its internal key).
    const task = (d, key) => {
      const x = (d.tasks || {})[key];
      if (!x) return key;
      return stopLabel(x) + (x.cases.length ? " (" + x.cases.join(", ") + ")" : "");
    };
    const box = document.getElementById("diff");
    if (!s.plan) { box.replaceChildren(); return; }
    try {
      const d = (await api("GET", "/api/plans/" + s.plan.id + "/diff")).data;
      const name = (id) => (s.plan.routes.find((r) => r.agent_id === id) || { agent: "#" + id }).agent;
      box.replaceChildren(d.against ? el("p", {}, t("Version {a} against version {b}", { a: d.version, b: d.against_version })) : el("p", {}, t("First version of the day")),
        ...d.agents.map((a) => el("p", {}, el("strong", {}, name(a.agent_id) + ": "),
          ...a.added.map((k) => el("ins", { "data-task": k }, "+" + task(d, k) + " ")), ...a.removed.map((k) => el("del", { "data-task": k }, "−" + task(d, k) + " ")),
          a.reordered.length ? t("reordered: {k}", { k: a.reordered.map((k) => task(d, k)).join(", ") }) : "")));
      if (d.against && !d.agents.length) box.append(el("p", {}, t("No changes")));
    } catch (e) { box.replaceChildren(el("p", {}, e.message)); }
  }

  /* ---------- overdue risk and outbox ---------- */
  async function loadOverdue() {
    const soon = new Date(Date.now() + 3 * 86400000);
    const rows = (await api("GET", "/api/cases/?open_only=true&page_size=50&overdue_before=" + cstDate(soon))).data;
    document.getElementById("overdue").replaceChildren(
      el("tr", {}, el("th", {}, t("Reference")), el("th", {}, t("Service")), el("th", {}, t("Status")), el("th", {}, t("Due")), el("th", {}, t("Predicted"))),
      ...(rows.length ? rows.map((c) => el("tr", {}, el("td", {}, c.reference), el("td", {}, c.item_name), el("td", {}, statusLabel("case", c.status)), el("td", {}, c.due_date, c.predicted_date > c.due_date ? null : estimateBadge(c)),
        el("td", {}, c.predicted_date || "—", c.predicted_date > c.due_date ? estimateBadge(c) : null)))
        : [el("tr", {}, el("td", { colspan: 5 }, t("Nothing at risk")))]));
  }

  async function loadOutbox() {
    const status = document.getElementById("outbox-status").value;
    const rows = (await api("GET", "/api/notifications/outbox?page_size=50&status=" + status)).data;
    document.getElementById("outbox").replaceChildren(
      el("tr", {}, el("th", {}, t("Message")), el("th", {}, t("Channel")), el("th", {}, t("Status")), el("th", {}, t("Attempts")), el("th", {}, "")),
      ...(rows.length ? rows.map((m) => el("tr", {}, el("td", {}, m.kind), el("td", {}, m.channel),
        el("td", {}, el("span", { class: "pill " + (m.last_error && m.status === "pending" ? "failed" : m.status) }, statusLabel("outbox", m.status)), m.last_error ? el("div", { class: "muted" }, m.last_error) : null),
        el("td", {}, m.attempts),
        el("td", {}, m.status !== "sent" ? el("button", { type: "button", onclick: () => resend(m.id) }, t("Resend")) : null)))
        : [el("tr", {}, el("td", { colspan: 5 }, t("No messages")))]));
  }

  async function resend(id) {
    try { await api("POST", "/api/notifications/outbox/" + encodeURIComponent(id) + "/resend", {}); toast(t("Queued again")); loadOutbox(); } catch (e) { toast(e.message, "error"); }
  }

  /* ---------- stop reports to check ---------- */
  let checking = null;

  /** Reports the phones sent about stops that left the plan, still unchecked, for this day. */
  async function loadReports() {
    const where = (s.township ? "&township=" + s.township : "") + "&day=" + s.day;
    const res = await api("GET", "/api/plans/unapplied-reports?resolved=false&page_size=50" + where);
    const rows = res.data;
    const paging = JSON.parse(res.headers.get("X-Pagination") || "{}");
    const count = document.getElementById("reports-count");
    count.textContent = paging.total ?? rows.length;
    count.classList.toggle("attention", rows.length > 0);
    document.getElementById("reports").replaceChildren(
      el("tr", {}, el("th", {}, t("Time")), el("th", {}, t("Agent")), el("th", {}, t("Status")), el("th", {}, t("Stop")), el("th", {}, "")),
      ...(rows.length ? rows.map((r) => el("tr", { "data-report": r.id }, el("td", {}, hhmm(r.at)), el("td", {}, r.agent.name),
        el("td", {}, el("span", { class: "badge " + r.status }, statusLabel("stop", r.status))),
        el("td", {}, stopLabel(r.stop), r.reason ? el("div", {}, r.reason) : null,
          el("div", { class: "muted" }, t("version {v} on the phone; version {c} now", { v: r.plan_version, c: r.current_version ?? "—" }))),
        el("td", {}, el("button", { type: "button", class: "resolve", onclick: () => askNote(r) }, t("Checked")))))
        : [el("tr", {}, el("td", { colspan: 5 }, t("Nothing to check")))]));
  }

  function askNote(report) {
    checking = report;
    const dlg = document.getElementById("resolve-dialog");
    document.getElementById("resolve-what").textContent = hhmm(report.at) + " · " + report.agent.name + " · " + stopLabel(report.stop);
    document.getElementById("resolve-note").value = "";
    document.getElementById("resolve-error").replaceChildren();
    dlg.showModal();
  }

  async function resolveReport(ev) {
    ev.preventDefault();
    const note = document.getElementById("resolve-note").value.trim();
    const submit = document.getElementById("resolve-submit");
    submit.disabled = true;
    try {
      await api("POST", "/api/plans/unapplied-reports/" + checking.id + "/resolve", { note });
      document.getElementById("resolve-dialog").close();
      toast(t("Marked as checked"));
      await loadReports();
    } catch (err) {
      const lines = fieldErrors(err.body && err.body.errors, "");
      document.getElementById("resolve-error").replaceChildren(el("p", {}, t("Not done: {m}", { m: err.message })),
        lines.length ? el("ul", {}, lines.map((x) => el("li", {}, x))) : null);
      if (err.status === 404 || err.status === 409) guarded(loadReports);
    } finally { submit.disabled = false; }
  }

  /* ---------- planning actions ---------- */
  async function waitJob(job) {
    const label = document.getElementById("job");
    for (let i = 0; i < 300; i++) {
      const j = (await api("GET", "/api/jobs/" + job.id)).data;
      label.textContent = t("Planning… {p}%", { p: j.percent || 0 });
      if (j.status === "done") { label.textContent = ""; return j; }
      if (j.status === "failed" || j.status === "error") { label.textContent = j.error || t("Planning failed"); return null; }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return null;
  }

  async function guarded(fn) {
    try { await fn(); } catch (e) { toast(e.message, "error"); }
  }

  function wire() {
    const day = document.getElementById("day");
    day.value = s.day;
    day.addEventListener("change", () => { s.day = day.value; loadPlans(); guarded(loadReports); });
    document.getElementById("versions").addEventListener("change", (ev) => loadPlan(Number(ev.target.value)));
    document.getElementById("plan-new").addEventListener("click", () => guarded(async () => {
      const job = (await api("POST", "/api/plans/", { township: s.township, day: s.day, objective: "balance" })).data;
      const done = await waitJob(job);
      if (done && done.result && done.result.plan_ids) await loadPlans(done.result.plan_ids[0]);
    }));
    document.getElementById("replan").addEventListener("click", () => guarded(async () => {
      const res = (await api("POST", "/api/plans/" + s.plan.id + "/replan", { reason: t("Re-planned in the console") })).data;
      await loadPlans(res.plan_id);
    }));
    document.getElementById("publish").addEventListener("click", () => guarded(async () => {
      await api("POST", "/api/plans/" + s.plan.id + "/publish", {});
      toast(t("Published; agents whose route changed are told"));
      await loadPlans(s.plan.id);
    }));
    document.getElementById("outbox-status").addEventListener("change", () => guarded(loadOutbox));
    document.getElementById("absence-form").addEventListener("submit", markAbsent);
    document.getElementById("pin-form").addEventListener("submit", pin);
    document.getElementById("resolve-form").addEventListener("submit", resolveReport);
    document.getElementById("resolve-cancel").addEventListener("click", () => document.getElementById("resolve-dialog").close());
  }

  loginGate(document.getElementById("login"), async (me) => {
    document.getElementById("console").hidden = false;
    const prefix = (me && me.prefix) || "";
    s.township = params.get("township") || (prefix.length >= 9 ? prefix.slice(0, 9) + "000" : "");
    wire();
    await guarded(loadAgents);
    await guarded(() => loadPlans());
    guarded(loadOverdue);
    guarded(loadOutbox);
    guarded(loadReports);
    DaibanBranches.init();
  });
})();
