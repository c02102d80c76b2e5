/* The booking page: few steps, large type; then a look-up by reference and phone. */
(function () {
  "use strict";
  const { t, el, api, loginGate, hhmm, cstDate, estimateBadge, statusLabel } = Daiban;
  const EN = Daiban.LANG === "en";
  const s = { item: null, applicant: null, mode: null, date: null, caseId: null, reference: null };
  const box = () => document.getElementById("step");

  function steps(n) {
    document.querySelectorAll(".steps li").forEach((li) => li.classList.toggle("on", Number(li.dataset.step) === n));
  }
  function nav(back) {
    return el("div", { class: "row" }, back ? el("button", { type: "button", onclick: back }, "← " + t("Back")) : null);
  }
  const itemName = (i) => (EN && i.name_en) || i.name;

  async function chooseService() {
    steps(1);
    const items = (await api("GET", "/api/items/?page_size=100")).data.filter((i) => i.active !== false);
    box().replaceChildren(el("h2", {}, t("Which service do you need?")),
      el("div", { class: "choices" }, items.map((i) => el("button", { type: "button", class: "choice service", "data-code": i.code,
        onclick: () => { s.item = i; notice(); } }, itemName(i), el("small", {}, t("{d} working days", { d: i.promised_days })))))); 
  }

  function notice() {
    steps(2);
    const i = s.item;
    box().replaceChildren(el("h2", {}, t("One-time notice")),
      el("div", { class: "notice-box" },
        el("p", {}, el("strong", {}, itemName(i))),
        el("p", {}, t("Bring these materials:")),
        el("ul", {}, i.materials.map((m) => el("li", {}, ((EN && m.name_en) || m.name) + " ×" + m.copies + (m.original ? " " + t("(original)") : "")))),
        el("p", {}, t("Fee: {fee} yuan", { fee: i.fee_yuan || 0 })),
        el("p", {}, t("Promised time: {d} working days", { d: i.promised_days })),
        i.in_person ? el("p", {}, el("strong", {}, t("The applicant must come in person"))) : null),
      el("div", { class: "row" }, el("button", { type: "button", onclick: chooseService }, "← " + t("Back")),
        el("button", { type: "button", class: "primary", id: "notice-ok", onclick: whoAndHow }, t("I understand, continue"))));
  }

  function whoAndHow() {
    steps(3);
    const results = el("div", { class: "choices", id: "applicants" });
    const q = el("input", { id: "applicant-q", placeholder: t("Name or phone of the villager"), "aria-label": t("Name or phone of the villager") });
    const search = async () => {
      const term = q.value.trim();
      const found = (await api("GET", "/api/applicants/?page_size=20" + (term ? "&q=" + encodeURIComponent(term) : ""))).data;
      results.replaceChildren(...(found.length ? found.map((a) => el("button", { type: "button", class: "choice applicant", "data-id": a.id,
        onclick: () => { s.applicant = a; how(); } }, a.name, el("small", {}, (a.address || "") + (a.vulnerable ? " · " + t("elderly or disabled") : ""))))
        : [el("p", {}, t("Nobody found"))]));
    };
    box().replaceChildren(el("h2", {}, t("Who is it for?")),
      el("form", { class: "row", onsubmit: (ev) => { ev.preventDefault(); search(); } }, q, el("button", { class: "primary", type: "submit" }, t("Search"))),
      results, nav(notice));
    search();
  }

  function how() {
    box().replaceChildren(el("h2", {}, t("How should the documents reach us?")),
      el("p", {}, s.applicant.name),
      el("div", { class: "choices" },
        el("button", { type: "button", class: "choice", id: "mode-visit", onclick: () => { s.mode = "visit"; pickSlot(); } },
          t("Home visit by the agent"), el("small", {}, t("For elderly or disabled villagers"))),
        el("button", { type: "button", class: "choice", id: "mode-dropoff", onclick: () => { s.mode = "dropoff"; dropOff(); } },
          t("Drop off at the village service room"), el("small", {}, t("Bring the materials during opening hours")))),
      nav(whoAndHow));
  }

  async function ensureCase(channel) {
    if (s.caseId) return;
    const c = (await api("POST", "/api/cases/", { applicant_id: s.applicant.id, item_code: s.item.code, channel })).data;
    s.caseId = c.id; s.reference = c.reference; s.due = c.due_date; s.dueCase = c;
  }

  async function dropOff() {
    try { await ensureCase("on_site"); confirmation(null); } catch (err) { showError(err); }
  }

  function showError(err, extra) {
    box().prepend(el("div", { class: "error-box", role: "alert" }, err.message, extra || null));
  }

  function nextDays() {
    const out = [];
    const d = new Date();
    for (let i = 1; out.length < 5 && i < 14; i++) {
      const x = new Date(d.getTime() + i * 86400000);
      const wd = new Date(cstDate(x) + "T12:00:00+08:00").getUTCDay();
      if (wd !== 0 && wd !== 6) out.push(cstDate(x));
    }
    return out;
  }

  async function pickSlot(message) {
    steps(4);
    const params = new URLSearchParams(location.search);
    const days = params.get("date") ? [params.get("date")] : nextDays();
    s.date = s.date && days.includes(s.date) ? s.date : days[0];
    const daySel = el("select", { id: "slot-date", "aria-label": t("Day"), onchange: () => { s.date = daySel.value; pickSlot(); } },
      days.map((d) => el("option", { value: d, selected: d === s.date }, d)));
    const list = el("div", { class: "choices", id: "slots" }, el("p", {}, t("Checking which times the agents can serve…")));
    // replaceChildren would print a null child as the text "null": leave it out instead.
    box().replaceChildren(...[el("h2", {}, t("Pick a time for the home visit")),
      message ? el("div", { class: "error-box", role: "alert", id: "slot-taken" }, message) : null,
      el("label", {}, t("Day"), daySel), list, nav(how)].filter(Boolean));
    let slots;
    try {
      // The service decides what must fit, as the booking will check: an in-person one needs the ride home too.
      slots = (await api("GET", "/api/bookings/slots?applicant_id=" + s.applicant.id + "&date=" + s.date + "&item_code=" + encodeURIComponent(s.item.code))).data;
    } catch (err) {
      list.replaceChildren(el("div", { class: "error-box", role: "alert" }, err.message));
      return;
    }
    list.replaceChildren(...slots.map((x) => el("button", { type: "button", class: "choice slot", "data-slot": x.label, disabled: !x.available,
      onclick: () => book(x) }, x.label, el("small", {}, x.available ? t("available") : t("full")))));
    if (!slots.some((x) => x.available)) list.append(el("p", {}, t("No free time on this day; pick another day.")));
  }

  async function book(slot) {
    document.querySelectorAll("#slots button").forEach((b) => { b.disabled = true; });
    try {
      await ensureCase("agent");
      const b = (await api("POST", "/api/bookings/", { applicant_id: s.applicant.id, date: s.date, slot: slot.label, case_id: s.caseId })).data;
      confirmation(slot, b);
    } catch (err) {
      if (err.status === 409) pickSlot(t("Sorry, that time was just taken. Please pick another."));
      else showError(err);
    }
  }

  function confirmation(slot) {
    steps(5);
    box().replaceChildren(el("div", { class: "confirm", id: "confirmation", role: "status" },
      el("h2", {}, slot ? t("Booked") : t("Registered")),
      el("p", {}, t("Reference number")), el("p", { class: "ref" }, s.reference),
      el("p", {}, itemName(s.item) + " · " + s.applicant.name),
      slot ? el("p", {}, t("The agent comes on {day}, {slot}", { day: s.date, slot: slot.label })) : el("p", {}, t("Bring the materials to the village service room")),
      s.due ? el("p", {}, t("Promised by {date}", { date: s.due }), estimateBadge(s.dueCase)) : null,
      el("p", {}, t("A text message with these details goes to the villager’s phone."))),
      el("button", { type: "button", class: "primary", onclick: () => { Object.assign(s, { item: null, applicant: null, caseId: null, reference: null }); chooseService(); } }, t("Book another")));
  }

  document.getElementById("lookup-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target, out = document.getElementById("lookup-result");
    try {
      const r = (await api("GET", "/api/public/cases/lookup?reference=" + encodeURIComponent(f.reference.value.trim()) + "&phone=" + encodeURIComponent(f.phone.value.trim()))).data;
      out.replaceChildren(el("div", { class: "notice-box", id: "lookup-found" },
        el("p", {}, el("strong", {}, r.reference), " · " + (EN ? r.item_en : r.item)),
        el("p", {}, t("Status: {s}", { s: statusLabel("case", r.status) })),
        el("p", {}, t("Documents are now with: {h}", { h: r.holder })),
        el("p", {}, t("Promised by {date}", { date: r.due_date }) + (r.predicted_date ? " · " + t("expected {date}", { date: r.predicted_date }) : ""), estimateBadge(r)),
        r.missing_notice ? el("p", { class: "notice" }, r.missing_notice) : null,
        el("ol", { class: "chain" }, r.chain.map((c) => el("li", {}, c.at.slice(0, 10) + " " + hhmm(c.at) + " " + c.from_holder + " → " + c.to_holder)))));
    } catch (err) {
      out.replaceChildren(el("div", { class: "error-box", role: "alert" }, err.status === 404 || err.status === 422 ? t("No case with that reference and phone number") : err.message));
    }
  });

  loginGate(document.getElementById("login"), () => { document.getElementById("wizard").hidden = false; chooseService(); });
})();
