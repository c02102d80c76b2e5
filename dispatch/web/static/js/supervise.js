/* The supervisor's page: KPI cards, maps shaded by on-time rate, trends, ratings, the
   assessment with its subsidy and the rectification queue; every figure from the API. */
(function () {
  "use strict";
  const { t, el, api, loginGate, cstDate, toast, statusLabel } = Daiban;
  const charts = {};
  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
  const yuan = (v) => (v ? v.toLocaleString("zh-CN") : "0");

  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

  function monthsBack(month, n) {
    const [y, m] = month.split("-").map(Number);
    const out = [];
    for (let i = n - 1; i >= 0; i--) {
      const d = new Date(Date.UTC(y, m - 1 - i, 1));
      out.push(d.toISOString().slice(0, 7));
    }
    return out;
  }

  function total(units, part, key) {
    return units.reduce((sum, u) => sum + (u[part][key] || 0), 0);
  }

  function share(part, whole) {
    return whole ? part / whole : null;
  }

  function cards(units) {
    const delivered = total(units, "cases", "delivered");
    const ratings = total(units, "satisfaction", "ratings");
    const bad = total(units, "satisfaction", "bad");
    const due = total(units, "satisfaction", "rectifications_due");
    const figures = [
      [t("Cases registered"), total(units, "cases", "count")],
      [t("Delivered"), delivered],
      [t("On-time rate"), pct(share(total(units, "cases", "delivered_on_time"), delivered))],
      [t("Open cases overdue"), total(units, "cases", "open_overdue")],
      [t("Ratings"), ratings],
      [t("Satisfaction rate"), pct(share(ratings - bad, ratings))],
      [t("Poor ratings"), bad],
      [t("Rectified on time"), pct(share(total(units, "satisfaction", "rectified_on_time"), due))],
    ];
    document.getElementById("sv-cards").replaceChildren(
      ...figures.map(([label, value]) => el("div", { class: "sv-card" }, el("b", {}, String(value)), label)));
  }

  async function outlines(name, file) {
    if (echarts.getMap(name)) return;
    const resp = await fetch("/web/divisions/" + file + ".geojson");
    echarts.registerMap(name, await resp.json());
  }

  function shade(id, mapName, units) {
    chart(id).setOption({
      tooltip: { trigger: "item", formatter: (p) => p.name + "<br>" + t("On-time rate") + " " + (isNaN(p.value) ? "—" : p.value + "%") },
      visualMap: { min: 0, max: 100, left: 0, bottom: 0, text: ["100%", "0%"], calculable: false,
        inRange: { color: ["#c62828", "#fbc02d", "#2e7d32"] }, itemHeight: 80 },
      series: [{ type: "map", map: mapName, roam: false, label: { show: true, fontSize: 10 },
        data: units.filter((u) => u.cases.on_time_rate !== null)
          .map((u) => ({ name: u.unit.name, value: +(u.cases.on_time_rate * 100).toFixed(1) })) }],
    });
  }

  async function trend(month) {
    const months = monthsBack(month, 6);
    const rows = await Promise.all(months.map((m) => api("GET", "/api/kpis?level=county&period=" + m).then((r) => r.data.units)));
    const onTime = rows.map((u) => share(total(u, "cases", "delivered_on_time"), total(u, "cases", "delivered")));
    const sat = rows.map((u) => share(total(u, "satisfaction", "ratings") - total(u, "satisfaction", "bad"), total(u, "satisfaction", "ratings")));
    const asPct = (v) => (v === null ? null : +(v * 100).toFixed(1));
    chart("sv-trend").setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t("On-time rate"), type: "line", data: onTime.map(asPct), connectNulls: true },
        { name: t("Satisfaction rate"), type: "line", data: sat.map(asPct), connectNulls: true },
      ],
    });
  }

  function ratingBars(units) {
    // The API's keys are the five levels' names; JSON does not keep their order, this does.
    const levels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];
    const counts = levels.map((lv) => units.reduce((s, u) => s + (u.satisfaction.distribution[lv] || 0), 0));
    chart("sv-ratings").setOption({
      tooltip: {},
      grid: { left: 40, right: 10, top: 10, bottom: 30 },
      xAxis: { type: "category", data: levels, axisLabel: { interval: 0, fontSize: 10 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: counts.map((v, i) => ({ value: v, itemStyle: { color: i >= 3 ? "#c62828" : "#1565c0" } })) }],
    });
  }

  function cell(text, cls) { return el("td", cls ? { class: cls } : {}, String(text)); }

  function assessment(body) {
    document.getElementById("sv-demo").hidden = !body.demo;
    const head = [t("Unit"), t("Register done"), t("Villages complete"), t("On-time rate"), t("Satisfaction rate"),
      t("Score"), t("Subsidy tier (yuan)"), t("Qualifies"), t("Subsidy (yuan)"), t("Still missing")];
    const rows = body.units.map((u) => el("tr", { "data-unit": u.key },
      cell(u.name), cell(pct(u.construction.share)),
      cell(u.construction.villages_complete + " / " + u.construction.villages),
      cell(pct(u.parts.on_time)), cell(pct(u.parts.satisfaction)),
      cell(u.score === null ? "—" : u.score),
      // An unconfirmed tier or membership (a guess in the configuration) is starred; its
      // basis is the cell's tooltip.
      Object.assign(cell((u.subsidy_tier ? yuan(u.subsidy_tier) : t("self-funded")) + (u.confirmed ? "" : " *")),
        { title: u.basis || "" }),
      cell(u.qualifies ? t("yes") : t("no"), u.qualifies ? "sv-yes" : "sv-late"),
      cell(yuan(u.subsidy_amount)),
      cell(u.missing.slice(0, 3).map((m) => m.name + "（" + m.missing_zh.join("、") + "）").join("；") +
        (u.missing.length > 3 ? " … +" + (u.missing.length - 3) : ""))));
    document.getElementById("sv-assessment").replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows));
  }

  function queue(rects) {
    const head = [t("Township"), t("Rating"), t("Opened"), t("Verify by"), t("Close by"), t("Step"), t("Overdue")];
    const rows = rects.map((r) => el("tr", { "data-rect": r.id },
      cell(r.township_name || r.township_code), cell(r.rating.level_zh),
      cell(cstDate(new Date(r.opened_at))), cell(r.verify_due), cell(r.close_due),
      cell(statusLabel("rectification", r.status)),
      cell(r.overdue ? t("overdue") + (r.flagged_stage ? " · " + (r.flagged_stage === "verify" ? t("verification") : t("closing")) : "") : "", r.overdue ? "sv-late" : "")));
    const empty = el("tr", {}, el("td", { colspan: head.length, class: "muted" }, t("No open rectification")));
    document.getElementById("sv-queue").replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), el("tbody", {}, ...(rows.length ? rows : [empty])));
  }

  async function load() {
    const month = document.getElementById("sv-month").value;
    const status = document.getElementById("sv-status");
    status.textContent = t("Loading…");
    try {
      const [counties, townships] = await Promise.all([
        api("GET", "/api/kpis?level=county&period=" + month),
        api("GET", "/api/kpis?level=township&period=" + month),
        outlines("jy-counties", "counties"),
        outlines("jy-townships", "townships"),
      ]);
      cards(counties.data.units);
      shade("sv-map-counties", "jy-counties", counties.data.units);
      shade("sv-map-townships", "jy-townships", townships.data.units);
      ratingBars(counties.data.units);
      const names = Object.fromEntries(townships.data.units.map((u) => [u.unit.code, u.unit.name]));
      const [assess, rects] = await Promise.all([
        api("GET", "/api/assessment?year=" + month.slice(0, 4)),
        api("GET", "/api/ratings/rectifications?open=true"),
      ]);
      assessment(assess.data);
      queue(rects.data.map((r) => Object.assign(r, { township_name: names[r.township_code] })));
      await trend(month);
      status.textContent = t("Figures as of") + " " + cstDate(new Date(counties.data.as_of));
    } catch (err) {
      status.textContent = err.message || String(err);
      toast(err.message || String(err));
    }
  }

  loginGate(document.getElementById("login"), (me) => {
    document.getElementById("supervise").hidden = false;
    if (me) document.getElementById("sv-region").textContent = me.username;
    const input = document.getElementById("sv-month");
    input.value = new URLSearchParams(location.search).get("month") || cstDate().slice(0, 7);
    input.addEventListener("change", load);
    load();
  });
})();
