/* The public page of the monthly 好差评 results (公示): per county and township, no login and
   no personal data; every figure from GET /api/public/ratings/results. */
(function () {
  "use strict";
  const { t, el, api, cstDate } = window.Daiban;
  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");

  function lastMonth() {
    const [y, m] = cstDate().slice(0, 7).split("-").map(Number);
    return new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 7);
  }

  function table(id, units) {
    const head = [t("Unit"), t("Ratings"), t("Satisfaction rate"), t("Poor ratings"),
      t("Rectifications due"), t("Rectified on time")];
    const rows = units.map((u) => el("tr", { "data-code": u.code },
      el("td", {}, u.name), el("td", {}, String(u.ratings)), el("td", {}, pct(u.satisfaction_rate)),
      el("td", {}, String(u.bad)), el("td", {}, String(u.rectifications_due)),
      el("td", {}, pct(u.rectified_on_time_rate))));
    const empty = el("tr", {}, el("td", { colspan: head.length, class: "muted" }, t("No ratings this month")));
    document.getElementById(id).replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...(rows.length ? rows : [empty])));
  }

  async function load() {
    const month = document.getElementById("rs-month").value;
    const status = document.getElementById("rs-status");
    status.textContent = t("Loading…");
    try {
      const { data } = await api("GET", "/api/public/ratings/results?month=" + month);
      table("rs-counties", data.units.filter((u) => u.level === "county"));
      table("rs-townships", data.units.filter((u) => u.level === "township"));
      status.textContent = data.month;
    } catch (err) {
      status.textContent = err.message || String(err);
    }
  }

  const input = document.getElementById("rs-month");
  input.value = new URLSearchParams(location.search).get("month") || lastMonth();
  input.addEventListener("change", load);
  load();
})();
