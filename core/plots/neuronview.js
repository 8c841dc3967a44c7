/* Neuron view: for one head and one query token, the query vector q, every key vector k, their
   element-wise products q×k, the score q·k × scale (+ other terms), and the softmax that makes the weights. */
function tsNeuronView(root, data) {
  const K = TSKit;
  const size = data.tokens.length, dim = data.dim;
  const state = {head: data.head || 0, query: data.query || 0, sort: "position"};
  const ROW = 20, FONT = "13px system-ui, sans-serif";
  const POS = [25, 113, 194], NEG = [232, 89, 12];
  const view = K.frame(root, "neuron", data);
  K.header(view, data);
  const bar = K.html("div", {class: "ts-bar"}, view);
  const canvas = K.html("div", {}, view);
  const readout = K.html("div", {class: "ts-readout"}, view);

  function controls() {
    bar.textContent = "";
    K.html("span", {class: "ts-control"}, bar, K.t("Head"));
    K.swatches(bar, data.heads, h => h === state.head, h => { state.head = h; controls(); draw(); });
    K.select(bar, K.t("Keys in order of"), [["position", K.t("position")], ["weight", K.t("weight")]], state.sort,
      value => { state.sort = value; draw(); });
    K.html("span", {class: "ts-control"}, bar, K.t("blue = positive, orange = negative; stronger colour = larger |value|"));
  }
  function color(value, limit) {
    const [r, g, b] = value >= 0 ? POS : NEG;
    const alpha = limit > 0 ? Math.min(1, Math.abs(value) / limit) : 0;
    return `rgba(${r},${g},${b},${alpha.toFixed(3)})`;
  }
  function vector(svg, values, x, y, cell, limit, label) {
    values.forEach((value, d) => {
      const rect = K.svg("rect", {x: x + d * cell, y, width: Math.max(1, cell - 0.5), height: ROW - 4,
        fill: color(value, limit)}, svg);
      K.svg("title", {}, rect, `${label}[${d}] = ${value.toFixed(4)}`);
    });
  }
  function numbers() {
    const q = data.q[state.head][state.query];
    const rows = [];
    for (let j = 0; j < size; j++) {
      const k = data.k[state.head][j];
      const product = q.map((value, d) => value * k[d]);
      let score = product.reduce((a, v) => a + v, 0) * data.scale;
      if (data.other) score += data.other[state.head][state.query][j];
      const masked = data.causal && j > state.query;
      rows.push({j, k, product, score, masked});
    }
    const visible = rows.filter(r => !r.masked);
    const top = Math.max(...visible.map(r => r.score));
    const total = visible.reduce((a, r) => a + Math.exp(r.score - top), 0);
    rows.forEach(r => { r.softmax = r.masked ? 0 : Math.exp(r.score - top) / total; });
    return {q, rows};
  }
  function draw() {
    canvas.textContent = "";
    const {q, rows} = numbers();
    const order = state.sort === "weight" ? [...rows].sort((a, b) => b.softmax - a.softmax) : rows;
    const col = Math.min(200, Math.max(48, K.textWidth(data.tokens, FONT) + 16));
    const width = Math.max(root.clientWidth || 0, view.clientWidth || 0, 640);
    const fixed = 2 * col + 340;
    const cell = Math.max(2, Math.min(12, Math.floor((width - fixed) / (2 * dim))));
    const scoreHeader = K.t(data.other ? "q·k × scale + other" : "q·k × scale");  // its column fits its header
    const scoreWidth = Math.max(96, K.textWidth([scoreHeader], "600 " + FONT) + 12);
    const xk = 2 * col + 24, xp = xk + dim * cell + 16, xs = xp + dim * cell + 16, xb = xs + scoreWidth;
    const height = ROW * (Math.max(size, rows.length + 2) + 1) + 10;
    const svg = K.svg("svg", {viewBox: `0 0 ${Math.max(width, xb + 180)} ${height}`, height: String(height)}, canvas);
    const kLimit = Math.max(1e-9, ...data.q[state.head].flat().map(Math.abs), ...data.k[state.head].flat().map(Math.abs));
    const pLimit = Math.max(1e-9, ...rows.flatMap(r => r.product.map(Math.abs)));
    const headers = [[xk, K.t("query q  /  key k")], [xp, K.t("q × k (element-wise)")],
      [xs, scoreHeader], [xb, "softmax"]];
    headers.forEach(([x, text]) => K.svg("text", {x, y: 14, "font-weight": "600"}, svg, text));
    queries(svg, col);
    K.svg("text", {x: xk - 6, y: 2 * ROW + 10, "text-anchor": "end", "font-weight": "600"}, svg, "q");
    vector(svg, q, xk, 2 * ROW, cell, kLimit, "q");
    order.forEach((r, n) => {
      const y = (n + 3) * ROW;
      const group = K.svg("g", {class: r.masked ? "ts-faded" : ""}, svg);
      K.svg("text", {x: xk - 6, y: y + 12, "text-anchor": "end"}, group, K.fit(data.tokens[r.j], col - 8, FONT));
      vector(group, r.k, xk, y, cell, kLimit, `k(${data.tokens[r.j]})`);
      if (r.masked) { K.svg("text", {x: xp, y: y + 12}, group, K.t("masked: a future token (causal model)")); return; }
      vector(group, r.product, xp, y, cell, pLimit, "q×k");
      K.svg("text", {x: xs, y: y + 12}, group, r.score.toFixed(3));
      K.svg("rect", {x: xb, y: y + 2, width: Math.max(0.5, 120 * r.softmax), height: ROW - 6, fill: "#1971c2"}, group);
      K.svg("text", {x: xb + 126, y: y + 12}, group, r.softmax.toFixed(3));
    });
    // two whole sentences (each one catalogue entry in the page's language), never glued from fragments
    readout.textContent = K.t("{0}: {1} — head {2}, layer {3}.", state.query, data.tokens[state.query], state.head,
      data.layer) + " " + (data.max_error < 1e-3
      ? K.t("With the unrounded vectors, these softmax weights equal the model's own to {0} (every head and query of " +
            "this layer). Click a token on the left to make it the query.", data.max_error.toExponential(1))
      : K.t("These softmax weights differ from the model's own by up to {0} (see the notes; every head and query of " +
            "this layer). Click a token on the left to make it the query.", data.max_error.toFixed(3)));
  }
  function queries(svg, col) {
    K.svg("text", {x: 4, y: 14, "font-weight": "600"}, svg, K.t("query token"));
    data.tokens.forEach((token, i) => {
      const y = (i + 1) * ROW + 4;
      const group = K.svg("g", {class: "ts-token" + (data.special && data.special[i] ? " ts-special" : ""),
        "data-index": String(i)}, svg);
      K.svg("rect", {x: 0, y, width: col, height: ROW - 2, rx: 3, fill: i === state.query ? "#d9e2ec" : "transparent"}, group);
      K.svg("text", {x: 6, y: y + 13}, group, K.fit(token, col - 10, FONT));
      K.svg("title", {}, group, `${i}: ${token}`);
      group.addEventListener("click", () => { state.query = i; draw(); });
    });
  }
  controls();
  draw();
  K.watchWidth(root, draw);
}

function tsRender(root, data) {
  if (!data || !data.kind) { root.textContent = ""; return; }
  (data.kind === "neuron" ? tsNeuronView : tsHeadView)(root, data);
}
