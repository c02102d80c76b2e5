/* The public rating page (好差评): a villager rates a delivered case from the SMS link. */
(function () {
  "use strict";
  const { t, el, api } = window.Daiban;
  const main = document.querySelector("main.rate-page");
  const token = main.dataset.token;
  const what = document.getElementById("rate-what");
  const form = document.getElementById("rate-form");
  const done = document.getElementById("rate-done");
  const zh = document.documentElement.lang !== "en";
  let level = null;

  function finished(text) {
    form.hidden = true;
    done.hidden = false;
    done.replaceChildren(el("p", { class: "big-text" }, text));
  }

  function show(info) {
    what.replaceChildren(
      el("h2", {}, zh ? info.item : info.item_en),
      el("p", {}, t("Township centre: {c}", { c: info.centre })),
      info.agent ? el("p", {}, t("Agent: {a}", { a: info.agent })) : null,
      el("p", { class: "muted" }, t("Delivered on {d}", { d: info.delivered_on })),
    );
    if (info.rated) { finished(t("This case has been rated already. Thank you.")); return; }
    const box = form.querySelector(".levels");
    info.levels.forEach((lv) => {
      const b = el("button", { type: "button", class: "level level-" + lv.key, role: "radio",
        "aria-checked": "false", "data-level": lv.key }, zh ? lv.zh : lv.en);
      b.addEventListener("click", () => {
        level = lv.key;
        box.querySelectorAll("button").forEach((x) => x.setAttribute("aria-checked", String(x === b)));
        form.querySelector("button[type=submit]").disabled = false;
      });
      box.append(b);
    });
    const tags = form.querySelector(".tags");
    info.tags.forEach((tag) => tags.append(
      el("label", { class: "tag" }, el("input", { type: "checkbox", name: "tag", value: tag }), " " + tag)));
    form.hidden = false;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const msg = form.querySelector(".msg");
    msg.textContent = "";
    const tags = [...form.querySelectorAll("input[name=tag]:checked")].map((x) => x.value);
    try {
      const { data } = await api("POST", "/api/public/ratings",
        { token, level, tags, comment: form.comment.value.trim() });
      finished(data.bad ? t("Thank you. The township will look into it and call you back.")
        : t("Thank you for your rating."));
    } catch (err) {
      if (err.status === 409) finished(err.message);
      else msg.textContent = err.message;
    }
  });

  api("GET", "/api/public/ratings/" + encodeURIComponent(token))
    .then(({ data }) => show(data))
    .catch((err) => what.replaceChildren(el("p", { class: "msg" }, err.message)));
})();
