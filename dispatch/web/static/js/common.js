/* Shared helpers of the Daiban pages: strings, the API with a bearer token, time, maps. */
(function (global) {
  "use strict";
  const I18N = JSON.parse(document.getElementById("i18n").textContent);
  const CONFIG = JSON.parse(document.getElementById("map-config").textContent);
  const STATUS_LABELS = JSON.parse(document.getElementById("status-labels").textContent);
  const LANG = document.documentElement.lang || "zh";

  /** Marks a string for pybabel (``-k N_``) where it is looked up later with t(variable). */
  const N_ = (s) => s;

  /** A catalogue string; the key is the English msgid. */
  function t(key, vars) {
    let s = I18N[key] || key;
    if (vars) Object.keys(vars).forEach((k) => { s = s.split("{" + k + "}").join(vars[k]); });
    return s;
  }

  /** A status as people read it (kind: case, booking, stop, plan, outbox, rectification), in
   *  the page's language, from the one table the API and the forms use too
   *  (dispatch/models/status_labels.py). */
  function statusLabel(kind, status) {
    return (STATUS_LABELS[kind] || {})[status] || status;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => {
      if (c === null || c === undefined || c === false) return;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    });
    return node;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || "HTTP " + status);
      this.status = status;
      this.body = body || {};
    }
  }

  const TOKEN_KEY = "daiban_token";
  const auth = {
    get token() { return sessionStorage.getItem(TOKEN_KEY); },
    set token(v) { v ? sessionStorage.setItem(TOKEN_KEY, v) : sessionStorage.removeItem(TOKEN_KEY); },
  };

  /** Call the API; a network failure rejects with status 0, an HTTP error with ApiError. */
  async function api(method, path, body, headers) {
    const h = Object.assign({ Accept: "application/json" }, headers || {});
    if (auth.token) h.Authorization = "Bearer " + auth.token;
    if (body !== undefined) h["Content-Type"] = "application/json";
    let resp;
    try {
      resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new ApiError(0, { message: t("No connection") });
    }
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text }; }
    if (!resp.ok) throw new ApiError(resp.status, data);
    return { data, headers: resp.headers, status: resp.status };
  }

  async function login(username, password) {
    const { data } = await api("POST", "/api/auth/login", { username, password });
    auth.token = data.access_token;
    const me = await api("GET", "/api/auth/me");
    return me.data;
  }

  /** Wire a login form; resolves with /api/auth/me once logged in (or at once if a token works). */
  function loginGate(form, onReady) {
    const msg = form.querySelector(".msg");
    const start = async () => {
      form.hidden = true;
      try { onReady((await api("GET", "/api/auth/me")).data); } catch (err) {
        if (err.status === 0) { onReady(null); return; }
        auth.token = null; form.hidden = false;
      }
    };
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      msg.textContent = "";
      try {
        await login(form.username.value.trim(), form.password.value);
        await start();
      } catch (err) {
        msg.textContent = err.status === 401 || err.status === 422 ? t("Wrong user name or password") : err.message;
      }
    });
    if (auth.token) start(); else form.hidden = false;
  }

  const TZ = "Asia/Shanghai";
  function hhmm(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString("en-GB", { timeZone: TZ, hour: "2-digit", minute: "2-digit" });
  }
  function cstDate(d) {
    return (d || new Date()).toLocaleDateString("en-CA", { timeZone: TZ });
  }
  function uuid() {
    if (global.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  /* GCJ-02 ("Mars coordinates"): AMap tiles are shifted, so overlays must be shifted too.
   * gcoord (vendored, make vendor) converts, as prcoords does on the server side. */
  function wgsToGcj(lon, lat) {
    return global.gcoord.transform([lon, lat], global.gcoord.WGS84, global.gcoord.GCJ02);
  }
  const GCJ = /gcj/i.test(CONFIG.tile_datum || "");
  /** [lat, lon] for Leaflet from a WGS-84 point, shifted when the tiles are GCJ-02. */
  function ll(lon, lat) {
    const p = GCJ && CONFIG.tile_url ? wgsToGcj(lon, lat) : [lon, lat];
    return [p[1], p[0]];
  }

  /** A Leaflet map: the configured tiles, or the county/township outlines when there are none. */
  function makeMap(node) {
    const map = L.map(node, { zoomControl: true, attributionControl: !!CONFIG.tile_url });
    map.setView([23.55, 116.35], 10);
    if (CONFIG.tile_url) {
      L.tileLayer(CONFIG.tile_url, { maxZoom: 18, attribution: CONFIG.tile_attribution || "" }).addTo(map);
    } else {
      node.classList.add("no-tiles");
      const style = (w, c) => ({ color: c, weight: w, fill: false });
      const shift = (geo) => L.geoJSON(geo, { coordsToLatLng: (c) => L.latLng(ll(c[0], c[1])) });
      fetch("/web/divisions/counties.geojson").then((r) => r.json()).then((g) => {
        shift(g).setStyle(style(2, "#555")).addTo(map).bringToBack();
      }).catch(() => {});
      fetch("/web/divisions/townships.geojson").then((r) => r.json()).then((g) => {
        shift(g).setStyle(style(1, "#999")).addTo(map).bringToBack();
      }).catch(() => {});
    }
    return map;
  }

  /** The "估" mark of a case whose dates rest on the Mon–Fri guess; the API's note is its title. */
  function estimateBadge(c) {
    return c && c.dates_estimated ? el("span", { class: "badge estimated", title: c.dates_note, "aria-label": c.dates_note }, t("est.")) : null;
  }

  /** A stop's label, and a case's service, in the page's language (place names stay). */
  const stopLabel = (x) => (LANG === "en" && x.label_en) || x.label || "";
  const itemName = (c) => (LANG === "en" && c.item_en) || c.item || "";

  const COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e", "#283593", "#9e9d24"];

  function toast(text, kind) {
    let box = document.getElementById("toast");
    if (!box) { box = el("div", { id: "toast", role: "status", "aria-live": "polite" }); document.body.append(box); }
    box.textContent = text;
    box.className = "show " + (kind || "");
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.className = ""; }, 4000);
  }

  /** The photo chosen in a file input, scaled to 1024 px at most, as a JPEG data URL (null if none). */
  function readPhoto(input) {
    const file = input.files[0];
    if (!file) return Promise.resolve(null);
    return new Promise((resolve) => {
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(1, 1024 / Math.max(img.width, img.height));
        const c = document.createElement("canvas");
        c.width = img.width * scale; c.height = img.height * scale;
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        resolve(c.toDataURL("image/jpeg", 0.7));
      };
      img.onerror = () => resolve(null);
      img.src = URL.createObjectURL(file);
    });
  }

  /** A signature pad on a canvas inside a dialog just opened: sized now, for sharp strokes. */
  function sizedPad(canvas, pad) {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
  }

  global.Daiban = { t, N_, el, api, ApiError, auth, login, loginGate, hhmm, cstDate, uuid, wgsToGcj, ll, makeMap, estimateBadge, stopLabel, itemName, statusLabel, COLOURS, CONFIG, LANG, toast, readPhoto, sizedPad };
})(window);
