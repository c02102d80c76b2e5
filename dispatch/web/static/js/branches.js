/* The dispatcher console's case branches: 补正, 不予受理 / 不予许可, 中止 / 续办, 撤回, the
 * entrustment's revocation and 现场办结 on one case found by its reference. Each button is one POST of /api/cases/<id>/<move> with the
 * case's ETag; the server decides, and its message is shown when it refuses. */
(function (global) {
  "use strict";
  const { t, N_, el, api, toast, statusLabel } = Daiban;
  const GOING_UP = ["registered", "returned", "materials_checked", "with_agent", "at_township", "at_county"];
  const STOPPED = ["supplement", "supplementing", "suspended"];
  const state = { case: null, etag: null, move: null };

  /** Whether the case is at the centre that decides its item (补正 and refusal start there). */
  function atDecision(c) {
    if (c.holder_kind !== "centre") return false;
    if (c.decided_at_level === "township") return c.status === "at_township";
    return ["county", "city"].includes(c.decided_at_level) && c.status === "at_county";
  }

  const textField = (name, label, attrs) => el("label", { class: "field" }, t(label) + " ",
    el(attrs && attrs.rows ? "textarea" : "input", Object.assign({ name, required: true, maxlength: 2000 }, attrs || {})));

  function materialsField(c) {
    const boxes = (c.materials || []).map((m, i) => el("li", {},
      el("input", { type: "checkbox", name: "missing", value: m.name, id: "missing-" + i }),
      el("label", { for: "missing-" + i }, m.name)));
    return el("fieldset", {}, el("legend", {}, t("Missing materials")), el("ul", { class: "checklist" }, ...boxes));
  }

  function refusalKind() {
    return el("label", { class: "field" }, t("Decision") + " ", el("select", { name: "kind" },
      el("option", { value: "not_accepted" }, t("Not accepted (不予受理)")),
      el("option", { value: "not_permitted" }, t("Not permitted (不予许可)"))));
  }

  const value = (form, name) => form.elements[name].value.trim();
  const withdrawable = (c) => GOING_UP.includes(c.status) || STOPPED.includes(c.status);

  // One row a button: its label, the move's URL, when the case may take it, its form and body.
  const MOVES = [
    { id: "supplement", label: N_("Request a supplement (补正)"), url: "supplement-request", when: atDecision,
      fields: (c) => [materialsField(c), textField("note", N_("Note"), { required: false })],
      body: (f) => ({ missing: [...f.querySelectorAll("input[name=missing]:checked")].map((x) => x.value), note: value(f, "note") }) },
    { id: "refusal", label: N_("Refuse (不予受理 / 不予许可)"), url: "refusal", when: atDecision,
      fields: () => [refusalKind(), textField("reason", N_("Reason"), { rows: 3 }), textField("legal_basis", N_("Legal basis"), { maxlength: 500 })],
      body: (f) => ({ kind: value(f, "kind"), reason: value(f, "reason"), legal_basis: value(f, "legal_basis") }) },
    { id: "suspension", label: N_("Suspend (中止)"), url: "suspension", when: (c) => GOING_UP.includes(c.status),
      fields: () => [textField("reason", N_("Reason"), { rows: 2 })], body: (f) => ({ reason: value(f, "reason") }) },
    { id: "continuation", label: N_("Continue (续办)"), url: "continuation", when: (c) => c.status === "suspended",
      fields: () => [textField("note", N_("Note"), { required: false })], body: (f) => ({ note: value(f, "note") }) },
    { id: "withdrawal", label: N_("Withdraw (撤回)"), url: "withdrawal", when: withdrawable,
      fields: () => [textField("reason", N_("Reason"), { rows: 2 })], body: (f) => ({ reason: value(f, "reason") }) },
    // The villager revokes through the desk: the case stops where it is and comes back.
    { id: "revocation", label: N_("Revoke the entrustment (撤销委托)"), url: "entrustment/revocation",
      when: (c) => c.channel === "agent" && withdrawable(c),
      fields: () => [textField("reason", N_("Reason"), { rows: 2 })], body: (f) => ({ reason: value(f, "reason") }) },
    { id: "on_site", label: N_("Decide on the spot (现场办结)"), url: "on-site-completion",
      when: (c) => c.decided_at_level === "village" && ["registered", "materials_checked"].includes(c.status),
      fields: () => [textField("note", N_("Note"), { required: false })], body: (f) => ({ note: value(f, "note") }) },
  ];

  function show(res) {
    state.case = res.data;
    state.etag = res.headers.get("ETag");
    const c = state.case;
    const facts = [c.reference + " · " + c.item_name, statusLabel("case", c.status), t("due {d}", { d: c.due_date })];
    if (c.clock_stopped) facts.push(t("clock stopped"));
    document.getElementById("case-box").replaceChildren(
      el("p", { id: "case-facts", "data-status": c.status }, facts.join(" · ")),
      c.missing_notice ? el("p", { class: "notice" }, c.missing_notice) : null,
      c.refusal_reason ? el("p", { class: "notice" }, c.refusal_reason) : null,
      el("div", { class: "buttons" }, ...MOVES.map((m) => el("button", { type: "button", class: "branch", "data-move": m.id,
        disabled: m.when(c) ? null : "disabled", onclick: () => ask(m) }, t(m.label)))));
  }

  async function open(ev) {
    ev.preventDefault();
    const ref = document.getElementById("case-ref").value.trim();
    const box = document.getElementById("case-box");
    try {
      const rows = (await api("GET", "/api/cases/?page_size=1&reference=" + encodeURIComponent(ref))).data;
      if (!rows.length) { state.case = null; box.replaceChildren(el("p", { role: "alert" }, t("No case {r} in your region", { r: ref }))); return; }
      show(await api("GET", "/api/cases/" + rows[0].id));
    } catch (err) { box.replaceChildren(el("p", { role: "alert" }, err.message)); }
  }

  function ask(move) {
    state.move = move;
    document.getElementById("branch-title").textContent = t(move.label);
    document.getElementById("branch-case").textContent = state.case.reference + " · " + state.case.item_name;
    document.getElementById("branch-fields").replaceChildren(...move.fields(state.case));
    document.getElementById("branch-error").replaceChildren();
    document.getElementById("branch-dialog").showModal();
  }

  async function submit(ev) {
    ev.preventDefault();
    const form = document.getElementById("branch-form");
    const button = document.getElementById("branch-submit");
    button.disabled = true;
    try {
      const path = "/api/cases/" + state.case.id + "/" + state.move.url;
      await api("POST", path, state.move.body(form), { "If-Match": state.etag });
      document.getElementById("branch-dialog").close();
      toast(t("Done: {m}", { m: t(state.move.label) }));
      show(await api("GET", "/api/cases/" + state.case.id));
    } catch (err) {
      const errors = Object.entries((err.body && err.body.errors && (err.body.errors.json || err.body.errors)) || {});
      document.getElementById("branch-error").replaceChildren(el("p", {}, t("Not done: {m}", { m: err.message })),
        errors.length ? el("ul", {}, ...errors.map(([k, v]) => el("li", {}, k + ": " + [].concat(v).join("; ")))) : null);
      if (err.status === 412 || err.status === 409) show(await api("GET", "/api/cases/" + state.case.id));
    } finally { button.disabled = false; }
  }

  function init() {
    document.getElementById("case-find").addEventListener("submit", open);
    document.getElementById("branch-form").addEventListener("submit", submit);
    document.getElementById("branch-cancel").addEventListener("click", () => document.getElementById("branch-dialog").close());
  }

  global.DaibanBranches = { init };
})(window);
