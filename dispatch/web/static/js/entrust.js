/* The agent's phone: the villager's entrustment (代办委托书), signed on the canvas or with a
 * thumbprint photo for one who cannot sign. The form gives the body; the app queues it. */
(function (global) {
  "use strict";
  const { t, el, cstDate, readPhoto, sizedPad } = Daiban;
  let pad = null;

  /** The validity offered: the promised date and 90 days more, for 补正 and the way back. */
  function defaultUntil(c) {
    const d = new Date((c.due_date || cstDate()) + "T12:00:00+08:00");
    d.setDate(d.getDate() + 90);
    return cstDate(d);
  }

  function materialBoxes(c) {
    return (c.materials || []).map((m, i) => el("li", {},
      el("input", { type: "checkbox", id: "em-" + i, value: m.name, checked: true }),
      el("label", { for: "em-" + i }, m.name)));
  }

  /** Open the form for case ``c`` (its detail); ``onSigned(body)`` gets the entrustment's body. */
  function capture(c, onSigned) {
    const dlg = document.getElementById("entrust");
    const canvas = document.getElementById("entrust-signature");
    const msg = dlg.querySelector(".msg");
    if (!pad) {
      pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#000" });
      document.getElementById("entrust-clear").onclick = () => pad.clear();
    }
    msg.textContent = "";
    document.getElementById("entrust-thumb").value = "";
    document.getElementById("entrust-case").textContent = c.reference + " · " + c.item_name + " · " + (c.applicant_name || "");
    document.getElementById("entrust-materials").replaceChildren(...materialBoxes(c));
    document.getElementById("entrust-until").value = defaultUntil(c);
    document.getElementById("entrust-ok").onclick = async (ev) => {
      ev.preventDefault();
      const materials = [...dlg.querySelectorAll("#entrust-materials input:checked")].map((x) => x.value);
      const until = document.getElementById("entrust-until").value;
      const thumb = await readPhoto(document.getElementById("entrust-thumb"));
      if (!materials.length) { msg.textContent = t("Tick the materials handed over"); return; }
      if (!until || until < cstDate()) { msg.textContent = t("The validity cannot end before today"); return; }
      if (pad.isEmpty() && !thumb) { msg.textContent = t("Please sign first, or take a thumbprint photo"); return; }
      const body = { materials, valid_until: until, captured_at: "phone",
        covers: document.getElementById("entrust-covers").value, signed_at: new Date().toISOString() };
      if (!pad.isEmpty()) body.signature_png = pad.toDataURL("image/png");
      if (thumb) body.thumbprint_jpeg = thumb;
      dlg.close("ok");
      onSigned(body);
    };
    dlg.showModal();
    sizedPad(canvas, pad); // the canvas had no size while the dialog was closed
  }

  global.DaibanEntrust = { capture };
})(window);
