/* Head view: token-to-token lines for every head of a layer (left = queries, right = keys).
   Line opacity is the weight (divided by the number of heads shown, as overlapping heads add up). */
function tsHeadView(root, data) {
  const K = TSKit;
  const heads = data.heads;
  const start = Number.isInteger(data.focus) ? {side: "left", index: data.focus} : null;
  const state = {layer: data.layer || 0, filter: 0, threshold: data.threshold || 0, focus: start, pinned: !!start,
    active: Array.from({length: heads}, (_, h) => !data.active || data.active.includes(h))};
  const ROW = 22, TOP = 10, FONT = "13px system-ui, sans-serif";
  const size = data.tokens.length;
  const b = data.boundary;
  const filters = [["all", [0, size], [0, size]]];
  if (b) filters.push(["A → A", [0, b], [0, b]], ["B → B", [b, size], [b, size]], ["A → B", [0, b], [b, size]],
    ["B → A", [b, size], [0, b]]);
  const view = K.frame(root, "head", data);
  K.header(view, data);
  const bar = K.html("div", {class: "ts-bar"}, view);
  const canvas = K.html("div", {}, view);
  const readout = K.html("div", {class: "ts-readout", "aria-live": "polite"}, view);
  const count = () => state.active.filter(Boolean).length;

  function controls() {
    bar.textContent = "";
    if (data.layers.length > 1) {
      K.select(bar, K.t("Layer"), data.layers.map((layer, i) => [i, String(layer)]), state.layer,
        value => { state.layer = +value; draw(); });
    }
    if (filters.length > 1) {
      K.select(bar, K.t("Attention"), filters.map((f, i) => [i, f[0]]), state.filter,
        value => { state.filter = +value; state.focus = null; state.pinned = false; draw(); });
    }
    const wrap = K.html("label", {class: "ts-control"}, bar, K.t("Hide below") + " ");
    const range = K.html("input", {type: "range", min: "0", max: "0.5", step: "0.01", value: String(state.threshold)}, wrap);
    const shown = K.html("span", {}, wrap, " " + state.threshold.toFixed(2));
    range.addEventListener("input", () => { state.threshold = +range.value; shown.textContent = " " + range.value; draw(); });
    K.html("span", {class: "ts-control"}, bar, K.t("Heads"));
    K.swatches(bar, heads, h => state.active[h], toggle, only);
    const all = K.html("button", {type: "button", class: "ts-swatch", title: K.t("show every head")}, bar, K.t("all"));
    all.addEventListener("click", () => { state.active.fill(true); controls(); draw(); });
  }
  function toggle(head) {
    if (state.active[head] && count() === 1) return;
    state.active[head] = !state.active[head];
    controls(); draw();
  }
  function only(head) {
    const alone = state.active[head] && count() === 1;
    state.active = state.active.map((_, h) => alone || h === head);
    controls(); draw();
  }
  function weight(h, i, j) { return data.attn[state.layer][h][i][j]; }

  function draw() {
    canvas.textContent = "";
    const [, rows, cols] = filters[state.filter];
    const left = data.tokens.slice(rows[0], rows[1]), right = data.tokens.slice(cols[0], cols[1]);
    const col = Math.min(220, Math.max(48, K.textWidth(data.tokens, FONT) + 18));
    const width = Math.max(root.clientWidth || 0, view.clientWidth || 0, 2 * col + 160);
    const gap = Math.max(140, Math.min(620, width - 2 * col - 30));
    const x0 = Math.max(0, (width - 2 * col - gap) / 2), x1 = x0 + col, x2 = x1 + gap;
    const height = TOP * 2 + ROW * Math.max(left.length, right.length);
    const svg = K.svg("svg", {viewBox: `0 0 ${width} ${height}`, height: String(height), role: "img",
      "aria-label": "attention lines between tokens"}, canvas);
    svg.addEventListener("mouseleave", () => { if (!state.pinned) focus(null); });
    const y = k => TOP + k * ROW + ROW / 2;
    const lines = K.svg("g", {}, svg), blocks = K.svg("g", {}, svg);
    const nodes = [...tokens(svg, left, rows[0], "left", x0, col, y), ...tokens(svg, right, cols[0], "right", x2, col, y)];
    state.paint = () => {  // on focus changes only the highlights and lines are redrawn
      lines.textContent = ""; blocks.textContent = "";
      nodes.forEach(highlight);
      if (state.focus) focused(lines, blocks, rows, cols, x0, x1, x2, col, y);
      else overview(lines, rows, cols, x1, x2, y);
      describe(rows, cols);
    };
    state.paint();
  }
  function tokens(svg, list, offset, side, x, col, y) {
    return list.map((token, k) => {
      const index = offset + k;
      const special = data.special && data.special[index];
      const group = K.svg("g", {class: "ts-token" + (special ? " ts-special" : ""), "data-side": side,
        "data-index": String(index)}, svg);
      const rect = K.svg("rect", {x, y: y(k) - ROW / 2 + 1, width: col, height: ROW - 2, rx: 3, fill: "transparent"}, group);
      K.svg("text", {x: side === "left" ? x + col - 8 : x + 8, y: y(k) + 4,
        "text-anchor": side === "left" ? "end" : "start"}, group, K.fit(token, col - 12, FONT));
      K.svg("title", {}, group, `${index}: ${token}`);
      group.addEventListener("mouseenter", () => { if (!state.pinned) focus({side, index}); });
      group.addEventListener("click", () => {
        const same = state.pinned && state.focus && state.focus.side === side && state.focus.index === index;
        state.pinned = !same; state.focus = same ? null : {side, index}; state.paint();
      });
      return {group, rect, side, index};
    });
  }
  function highlight({group, rect, side, index}) {
    const isFocus = state.focus && state.focus.side === side && state.focus.index === index;
    const faded = state.focus && data.causal && state.focus.side !== side &&
      (side === "right" ? index > state.focus.index : index < state.focus.index);
    group.classList.toggle("ts-faded", Boolean(faded));
    rect.setAttribute("fill", isFocus ? "#d9e2ec" : "transparent");
    rect.setAttribute("stroke", isFocus && state.pinned ? "#334e68" : "none");
  }
  function focus(target) {
    const same = (a, b) => (a && b) ? a.side === b.side && a.index === b.index : a === b;
    if (same(state.focus, target)) return;
    state.focus = target; state.paint();
  }
  function overview(group, rows, cols, x1, x2, y) {
    const levels = 48, scale = 1 / count();
    state.active.forEach((on, h) => {
      if (!on) return;
      const paths = new Array(levels + 1).fill("");
      for (let i = rows[0]; i < rows[1]; i++) {
        for (let j = cols[0]; j < cols[1]; j++) {
          const w = weight(h, i, j);
          if (w < state.threshold || w * scale < 0.004) continue;
          const level = Math.max(1, Math.round(w * scale * levels));
          paths[level] += `M${x1} ${y(i - rows[0])}L${x2} ${y(j - cols[0])}`;
        }
      }
      paths.forEach((d, level) => {
        if (d) K.svg("path", {d, stroke: K.headColor(h, heads), "stroke-width": 2, fill: "none",
          "stroke-opacity": (level / levels).toFixed(3), "data-head": String(h)}, group);
      });
    });
  }
  function focused(group, blocks, rows, cols, x0, x1, x2, col, y) {
    const {side, index} = state.focus;
    const others = side === "left" ? cols : rows;
    const active = state.active.map((on, h) => on ? h : -1).filter(h => h >= 0);
    const bx = side === "left" ? x2 : x0, width = col / active.length;
    for (let k = others[0]; k < others[1]; k++) {
      active.forEach((h, slot) => {
        const w = side === "left" ? weight(h, index, k) : weight(h, k, index);
        if (w < state.threshold || w <= 0) return;
        const yi = side === "left" ? y(index - rows[0]) : y(k - rows[0]);
        const yj = side === "left" ? y(k - cols[0]) : y(index - cols[0]);
        const line = K.svg("line", {x1, y1: yi, x2, y2: yj, stroke: K.headColor(h, heads), "stroke-width": 2,
          "stroke-opacity": Math.min(1, w).toFixed(3), "data-head": String(h)}, group);
        const from = data.tokens[side === "left" ? index : k], to = data.tokens[side === "left" ? k : index];
        K.svg("title", {}, line, `head ${h}: ${from} → ${to}  ${w.toFixed(4)}`);
        const block = K.svg("rect", {x: bx + slot * width, y: y(k - others[0]) - ROW / 2 + 1, width, height: ROW - 2,
          fill: K.headColor(h, heads), "fill-opacity": Math.min(1, w).toFixed(3)}, blocks);
        K.svg("title", {}, block, `head ${h}: ${w.toFixed(4)}`);
      });
    }
  }
  function describe(rows, cols) {
    if (!state.focus) {
      readout.textContent = K.t("Hover a token to focus its links (left: what it attends to; right: what attends to " +
        "it); click to pin, click again or press Esc to release.");
      return;
    }
    const {side, index} = state.focus;
    const range = side === "left" ? cols : rows;
    const active = state.active.map((on, h) => on ? h : -1).filter(h => h >= 0);
    const mean = [];
    for (let k = range[0]; k < range[1]; k++) {
      const total = active.reduce((sum, h) => sum + (side === "left" ? weight(h, index, k) : weight(h, k, index)), 0);
      mean.push([k, total / active.length]);
    }
    mean.sort((a, b) => b[1] - a[1]);
    const top = mean.slice(0, 5).map(([k, w]) => `${data.tokens[k]} ${w.toFixed(3)}`).join(" · ");
    const sentence = side === "left" ? "{0}: {1} attends most to (mean of {2} heads): {3}"
      : "{0}: {1} is attended most by (mean of {2} heads): {3}";
    readout.textContent = K.t(sentence, index, data.tokens[index], active.length, top) +
      (state.pinned ? "  " + K.t("[pinned]") : "");
  }
  view.addEventListener("keydown", event => {
    if (event.key === "Escape") { state.pinned = false; state.focus = null; state.paint(); }
  });
  controls();
  draw();
  K.watchWidth(root, draw);
}
