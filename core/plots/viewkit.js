/* TuneScope attention views: shared helpers (no network, no libraries). Token strings are user text:
   they are only ever written with textContent / SVG text nodes, never as HTML. */
var TSKit = (typeof TSKit !== "undefined" && TSKit) || (() => {  // var: several fragments may share a page
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#843c39", "#7b4173", "#3182bd"];
  function svg(tag, attrs, parent, text) {
    const node = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, attrs, parent, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function headColor(head, count) {
    return count <= PALETTE.length ? PALETTE[head] : `hsl(${Math.round(head * 360 / count)}, 62%, 45%)`;
  }
  let canvas = null;
  function textWidth(texts, font) {
    canvas = canvas || document.createElement("canvas");
    const context = canvas.getContext("2d");
    context.font = font;
    return texts.reduce((widest, text) => Math.max(widest, context.measureText(text).width), 0);
  }
  function fit(text, width, font) {  // long tokens end in an ellipsis; the full text stays in the tooltip
    if (textWidth([text], font) <= width) return text;
    let cut = text;
    while (cut.length > 1 && textWidth([cut + "…"], font) > width) cut = cut.slice(0, -1);
    return cut + "…";
  }
  function select(parent, label, options, value, onChange) {
    const wrap = html("label", {class: "ts-control"}, parent, label + " ");
    const box = html("select", {}, wrap);
    options.forEach(([key, name]) => html("option", {value: String(key)}, box, name));
    box.value = String(value);
    box.addEventListener("change", () => onChange(box.value));
    return box;
  }
  function swatches(parent, count, isOn, onClick, onDouble) {
    const row = html("span", {class: "ts-swatches", role: "group", "aria-label": t("Heads")}, parent);
    for (let head = 0; head < count; head++) {
      const button = html("button", {type: "button", class: "ts-swatch", "data-head": String(head),
        title: onDouble ? t("head {0}: click to toggle, double-click to show only this head", head)
          : t("head {0}: click to show it", head),
        "aria-pressed": String(isOn(head))}, row, String(head));
      button.style.background = isOn(head) ? headColor(head, count) : "#ffffff";
      button.style.color = isOn(head) ? "#ffffff" : headColor(head, count);
      button.style.borderColor = headColor(head, count);
      button.addEventListener("click", () => onClick(head));
      if (onDouble) button.addEventListener("dblclick", () => onDouble(head));
    }
    return row;
  }
  function watchWidth(root, redraw) {
    if (root._tsObserver) root._tsObserver.disconnect();
    if (typeof ResizeObserver === "undefined") return;
    let last = root.clientWidth;
    root._tsObserver = new ResizeObserver(() => {
      if (Math.abs(root.clientWidth - last) > 4) { last = root.clientWidth; redraw(); }
    });
    root._tsObserver.observe(root);
  }
  function header(root, data) {
    html("div", {class: "ts-title"}, root, data.title || "");
    (data.notes || []).forEach(note => html("div", {class: "ts-note"}, root, note));
  }
  const STYLE = `
.ts-view{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","TuneScope CJK","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1f2933;font-size:13px;width:100%;box-sizing:border-box;background:#fff;padding:6px}
.ts-view .ts-title{font-weight:600;font-size:14px;margin:2px 0}
.ts-view .ts-note{color:#52606d;font-size:12px;margin:1px 0}
.ts-view .ts-bar{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:6px 0}
.ts-view .ts-control{font-size:12px;color:#334e68}
.ts-view select{font-size:12px;padding:1px 4px;background:#fff;color:#1f2933;border:1px solid #bcccdc;border-radius:4px}
.ts-view .ts-swatches{display:inline-flex;flex-wrap:wrap;gap:3px}
.ts-view .ts-swatch{min-width:22px;height:20px;font-size:10px;border:2px solid;border-radius:4px;cursor:pointer;padding:0 3px;line-height:14px}
.ts-view .ts-readout{font-size:12px;color:#243b53;min-height:18px;margin-top:4px;white-space:pre-wrap}
.ts-view svg{display:block;width:100%;overflow:visible}
.ts-view svg text{font-size:13px;fill:#1f2933;user-select:none}
.ts-view .ts-token{cursor:pointer}
.ts-view .ts-special text{fill:#7b8794}
.ts-view .ts-faded{opacity:.3}
`;
  // the page's words for the view's own text (data.texts, English -> shown; a UI fills it in its language)
  const texts = {};
  function t(text, ...values) {
    return (texts[text] || text).replace(/\{(\d+)\}/g, (match, i) => String(values[+i]));
  }
  function frame(root, kind, data) {
    Object.keys(texts).forEach(key => delete texts[key]);
    Object.assign(texts, (data && data.texts) || {});
    if (root._tsObserver) root._tsObserver.disconnect();
    root.textContent = "";
    html("style", {}, root, STYLE);
    return html("div", {class: `ts-view ts-${kind}`, tabindex: "0"}, root);
  }
  return {svg, html, headColor, textWidth, fit, select, swatches, watchWidth, header, frame, t};
})();
