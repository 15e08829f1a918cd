// neuronmotif report: renders the run's embedded data (the JSON in #nm-data) into the page.
// Every string from the run (motif names, model names) goes into the DOM as text, never as markup.
"use strict";
const DATA = JSON.parse(document.getElementById("nm-data").textContent);
const SVGNS = "http://www.w3.org/2000/svg";
const BASES = ["A", "C", "G", "T"];
const COLORS = { A: "#109648", C: "#255c99", G: "#f7b32b", T: "#d62839" };
// glyphs in a 100 x 100 box, y down; each spans the box's full height so a letter's height is its stack height
const GLYPHS = {
  A: "M0 100L38 0L62 0L100 100L76 100L67 75L33 75L24 100ZM40 57L60 57L50 28Z",
  C: "M90.96 21.32A50 50 0 1 0 90.96 78.68L74.57 67.21A30 30 0 1 1 74.57 32.79Z",
  G: "M90.96 21.32A50 50 0 1 0 100 50L54 50L54 64L76.5 64A30 30 0 1 1 74.57 32.79Z",
  T: "M0 0L100 0L100 18L60 18L60 100L40 100L40 18L0 18Z",
};
const PAGE_SIZE = 20;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmt(value, digits = 3) {
  if (value === null || value === undefined || value === "") return "";
  const x = Number(value);
  if (!Number.isFinite(x)) return String(value);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(1);
  return String(Number(x.toPrecision(digits)));
}

// ---- logos -------------------------------------------------------------------------------------------------------
function informationContent(row) {
  let entropy = 0;
  for (const p of row) if (p > 0) entropy -= p * Math.log2(p);
  return Math.max(0, 2 - entropy);
}

function reverseComplement(rows) {
  return rows.slice().reverse().map((r) => [r[3], r[2], r[1], r[0]]);
}

function memeText(name, rows, nsites) {
  const lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "", "Background letter frequencies",
    "A 0.25 C 0.25 G 0.25 T 0.25", "", `MOTIF ${name}`,
    `letter-probability matrix: alength= 4 w= ${rows.length} nsites= ${nsites || 0} E= 0`];
  for (const r of rows) lines.push(r.map((v) => v.toFixed(6)).join(" "));
  return lines.join("\n") + "\n\n";
}

function logoSvg(rows, { height = 56, column = 14 } = {}) {
  const axis = 16;
  const width = axis + rows.length * column;
  const root = svg("svg", { width, height: height + 2, viewBox: `0 0 ${width} ${height + 2}`, class: "logo" });
  root.append(svg("line", { x1: axis - 3, y1: 1, x2: axis - 3, y2: height + 1, stroke: "#999", "stroke-width": 1 }));
  for (const bits of [0, 1, 2]) {
    const y = 1 + height - (bits * height) / 2;
    root.append(svg("line", { x1: axis - 6, y1: y, x2: axis - 3, y2: y, stroke: "#999", "stroke-width": 1,
      class: "tick", "data-bits": bits }));
    root.append(svg("text", { x: 0, y: y + 3, "font-size": 8, fill: "#777" }, String(bits)));
  }
  rows.forEach((row, col) => {
    const ic = informationContent(row);
    const order = [0, 1, 2, 3].sort((a, b) => row[a] - row[b]);
    let top = 1 + height;
    for (const b of order) {
      const h = (row[b] * ic * height) / 2;
      if (h < 0.01) continue;
      top -= h;
      root.append(svg("path", {
        d: GLYPHS[BASES[b]], fill: COLORS[BASES[b]], "data-base": BASES[b], "data-column": col,
        transform: `translate(${axis + col * column} ${top}) scale(${column / 100} ${h / 100})`,
      }));
    }
  });
  return root;
}

// A logo of a named matrix of DATA.matrices, its caption and a MEME download of exactly that matrix.
function logo(name, { caption = null, rc = false, nsites = 0, height = 56, column = 14, label = null } = {}) {
  const rows = DATA.matrices[name];
  const box = el("div", { class: "logo-box", "data-matrix": name, "data-rc": rc ? "1" : "0" });
  if (!rows) return el("div", { class: "logo-box muted" }, `${name}: matrix not in the run directory`);
  box.append(logoSvg(rc ? reverseComplement(rows) : rows, { height, column }));
  const link = el("a", { href: "#", download: `${name}.meme`, class: "meme", title: "download this matrix (MEME)" }, "MEME");
  link.addEventListener("click", () => {
    link.href = "data:text/plain;charset=utf-8," + encodeURIComponent(memeText(name, rows, nsites));
  });
  box.append(el("div", { class: "cap" }, label === null ? name : label, rc ? " (reverse complement)" : "",
    caption ? ` · ${caption}` : "", link));
  return box;
}

// The known motif under a network motif, at the match's offset and strand: it covers columns [-offset, -offset + w).
function alignedLogos(query, match) {
  const column = 14;
  const known = DATA.matrices[match.key];
  const shift = known ? -match.offset : 0;
  const pad = (n) => el("div", { style: `width:${Math.max(0, n) * column}px;flex:none` });
  return el("div", { class: "aligned" },
    el("div", { class: "row" }, el("span", { class: "tag" }, "network"), pad(-shift), logo(query)),
    known ? el("div", { class: "row" }, el("span", { class: "tag" }, "known"), pad(shift),
      logo(match.key, { rc: match.strand === "-", label: `${match.id} ${match.name}` })) : null);
}

// ---- plots -------------------------------------------------------------------------------------------------------
// one adjacent pair's curve: `range` [low, high] shaded (`spacing` hard or flexible), `peak` marked
function curvePlot(curve, readout, range, peak, spacing) {
  const series = curve.readouts[readout];
  const gaps = curve.gaps;
  const W = 460, H = 186, L = 44, R = 10, T = 26, B = 34;
  const lines = Object.fromEntries(Object.entries({ interaction: "#2b5fb3", together: "#444", alone: "#aaa" })
    .filter(([k]) => series[k]));
  const values = Object.keys(lines).flatMap((k) => series[k]);
  const yMin = Math.min(0, ...values), yMax = Math.max(...values, 1e-9);
  const x = (g) => L + ((g - gaps[0]) / Math.max(1, gaps[gaps.length - 1] - gaps[0])) * (W - L - R);
  const y = (v) => T + (1 - (v - yMin) / (yMax - yMin)) * (H - T - B);
  const plot = svg("svg", { width: W, height: H, class: "plot", viewBox: `0 0 ${W} ${H}`, "data-readout": readout });
  if (range) {
    plot.append(svg("rect", { x: x(range[0]) - 2, y: T, width: Math.max(4, x(range[1]) - x(range[0]) + 4),
      height: H - T - B, fill: spacing === "hard" ? "#dbe7fb" : "#fbe9cc", class: "range" }));
  }
  plot.append(svg("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), stroke: "#999" }));
  plot.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#999" }));
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) {
    plot.append(svg("text", { x: L - 4, y: y(v) + 3, "font-size": 9, "text-anchor": "end", fill: "#555" }, fmt(v, 2)));
  }
  const step = Math.max(1, Math.ceil((gaps[gaps.length - 1] - gaps[0]) / 8));
  for (let g = gaps[0]; g <= gaps[gaps.length - 1]; g += step) {
    plot.append(svg("text", { x: x(g), y: H - B + 12, "font-size": 9, "text-anchor": "middle", fill: "#555" }, String(g)));
  }
  plot.append(svg("text", { x: (L + W - R) / 2, y: H - 6, "font-size": 10, "text-anchor": "middle", fill: "#333" },
    "gap between the motifs (bp)"));
  for (const [key, color] of Object.entries(lines)) {
    const points = series[key].map((v, i) => `${x(gaps[i]).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    plot.append(svg("polyline", { points, fill: "none", stroke: color, "stroke-width": key === "interaction" ? 2 : 1,
      "stroke-dasharray": key === "together" ? "4 2" : "none", class: `series-${key}` }));
  }
  if (peak !== null && peak !== undefined) {
    const i = gaps.indexOf(peak);
    if (i >= 0) plot.append(svg("circle", { cx: x(peak), cy: y(series.interaction[i]), r: 3.5, fill: "#b3261e" }));
  }
  let lx = L + 8;
  for (const [key, color] of Object.entries(lines)) {
    plot.append(svg("line", { x1: lx, y1: 9, x2: lx + 14, y2: 9, stroke: color, "stroke-width": 2 }));
    plot.append(svg("text", { x: lx + 17, y: 12, "font-size": 9, fill: "#333" }, key === "alone" ? "each alone (sum)" : key));
    lx += key === "alone" ? 100 : 76;
  }
  return plot;
}

// ---- sections ----------------------------------------------------------------------------------------------------
function table(columns, rows, numeric = []) {
  return el("table", {},
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { class: numeric.includes(c) ? "num" : "" }, c)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((v, i) =>
      el("td", { class: numeric.includes(columns[i]) ? "num" : "" }, v instanceof Node ? v : String(v)))))));
}

function renderOverview(root) {
  const run = DATA.run;
  root.append(el("h2", {}, "Model"),
    el("p", {}, `source: ${run.model_source || "?"} · fingerprint ${String(run.model_fingerprint || "").slice(0, 12)}`,
      ` · device ${run.device || "?"} · seed ${run.seed}`),
    table(["layer", "name", "kernel", "channels", "receptive field (bp)", "pooling below", "pool after", "activation",
      "state", "ok", "sick", "dead", "CRMs"],
      DATA.layers.map((l) => [l.index, l.name, l.kernel_size, l.out_channels, l.rf, l.pool_below, l.pool_after,
        l.activation, l.state, l.counts.ok, l.counts.sick, l.counts.dead, l.n_crms]),
      ["layer", "kernel", "channels", "receptive field (bp)", "pooling below", "pool after", "ok", "sick", "dead", "CRMs"]));
  const reasons = DATA.layers.flatMap((l) => Object.entries(l.reasons).map(([why, n]) => [l.index, why, n]));
  root.append(el("h2", {}, "Sick and dead neurons"),
    reasons.length ? table(["layer", "reason", "neurons"], reasons, ["neurons"]) : el("p", { class: "muted" }, "none"));
  const settings = (title, values) => (values && Object.keys(values).length
    ? [el("h2", {}, title), table(["parameter", "value"], Object.entries(values).map(([k, v]) => [k, JSON.stringify(v)]))]
    : []);
  root.append(...settings("Sampling and demixing", run.parameters),
    ...settings("Motifs, names and syntax trees", (run.annotation || {}).parameters),
    ...settings("Rules", run.rules),
    el("h2", {}, "Versions"), table(["package", "version"], Object.entries(run.versions || {})));
}

function span(range) {
  return range[0] === range[1] ? `${range[0]} bp` : `${range[0]}–${range[1]} bp`;
}

// per adjacent pair: [gap range, known gap range or null, peak, spacing] (older rules.json: pairs only)
function pairSpacings(rule) {
  const gaps = rule.gaps || (rule.gap ? [rule.gap] : []);
  const known = rule.known_gaps || [rule.known_gap];
  const peaks = rule.peak_gaps || [rule.peak_gap];
  const spacing = (rule.spacing || "").split(";");
  return gaps.map((g, i) => [g, known[i] || null, peaks[i], spacing[i]]);
}

function rulesChain(rule) {
  const chain = el("div", { class: "chain" });
  const pairs = pairSpacings(rule);
  rule.motifs.forEach((motif, i) => {
    if (i > 0 && pairs[i - 1]) {
      const [gap, knownGap, , spacing] = pairs[i - 1];
      const known = knownGap ? ` (known motifs: ${span(knownGap)})` : "";
      chain.append(el("span", { class: "gap" }, `${span(gap)} ${spacing}${known}`));
    }
    chain.append(logo(motif, { rc: rule.strands[i] === "-", column: 12,
      label: `${motif} ${rule.names[i] || ""} (${rule.strands[i]})` }));
  });
  return chain;
}

function renderRules(root) {
  if (!DATA.rules) {
    root.append(el("p", { class: "muted" }, "The rule stage has not run on this directory (no rules.json)."));
    return;
  }
  root.append(el("p", { class: "muted" }, `${DATA.rules.rules.length} rules verified by the model, ranked by effect; `,
    `${DATA.rules.unverified.length} hypotheses not kept (rules_unverified.tsv).`));
  for (const rule of DATA.rules.rules) {
    const card = el("div", { class: "card rule", "data-rule": rule.rule },
      el("h3", {}, `${rule.rule}  ${rule.label}`), rulesChain(rule));
    card.append(table(["spacing", "gap (network motifs)", "gap (known motifs)", "effect", "readout", "cooperativity",
      "p", "q", "neurons", "outputs"],
    [[rule.spacing || "single motif", pairSpacings(rule).map(([g]) => g.join("–")).join("; "),
      pairSpacings(rule).map(([, k]) => (k ? k.join("–") : "")).join("; "),
      fmt(rule.effect), rule.readout, fmt(rule.cooperativity), fmt(rule.p_value), fmt(rule.q_value),
      rule.neurons.join(" "), Object.entries(rule.outputs || {}).map(([k, v]) => `${k}: ${fmt(v)}`).join(", ")]],
    ["effect", "cooperativity", "p", "q"]));
    const curves = rule.curve ? (rule.curve.pairs || [rule.curve]) : [];
    pairSpacings(rule).forEach(([gap, , peak, spacing], i) => {
      const curve = curves[i];
      if (!curve || !curve.readouts || !curve.readouts[rule.readout]) return;
      const which = curves.length > 1 ? `pair ${i + 1} of the chain (the other gap at its peak), ` : "";
      card.append(el("div", { class: "muted" }, `response of ${rule.readout} against the gap, ${which}(shaded: the `,
        `gap range called ${spacing}; dot: the peak)`), curvePlot(curve, rule.readout, gap, peak, spacing));
    });
    root.append(card);
  }
}

function renderAtlas(root) {
  if (!DATA.motifs.length) {
    root.append(el("p", { class: "muted" }, "No network motifs yet (motifs.tsv is written after the last layer)."));
    return;
  }
  root.append(el("p", { class: "muted" }, `${DATA.motifs.length} network motifs named against ${DATA.motif_source}`,
    DATA.n_unverified_motifs ? `; ${DATA.n_unverified_motifs} more, not verified by the model, in motifs_unverified.tsv` : "",
    ". Known matches are shown only where significant (q below the run's threshold). ", DATA.known_note));
  for (const m of DATA.motifs) {
    const card = el("div", { class: "card motif", "data-motif": m.motif },
      el("h3", {}, `${m.motif}  ${m.best_match_name || "unnamed"}`, m.status ? ` · ${m.status}` : ""));
    card.append(m.match ? alignedLogos(m.motif, m.match) : logo(m.motif));
    card.append(table(["width", "consensus", "best match", "q", "first layer", "neurons per layer", "representative"],
      [[m.width, m.consensus, m.match ? `${m.match.id} ${m.match.name} (${m.match.strand}, offset ${m.match.offset})` : "",
        fmt(m.q_value), m.first_layer, m.neurons_per_layer, m.representative]], ["width", "q"]));
    root.append(card);
  }
}

function treeNode(node, combo) {
  if (node.slot !== undefined) {
    const slot = combo.slots[node.slot];
    const name = slot.known ? `${slot.known.name}(${slot.strand})` : `${slot.motif}(${slot.strand})`;
    return el("li", {}, el("span", { class: "node leaf" }, name));
  }
  const gap = node.gap || {};
  const range = gap.range ? span(gap.range) : "";
  return el("li", {}, el("span", { class: `node ${gap.kind || ""}` }, `gap ${range} ${gap.kind || ""}`),
    el("ul", {}, (node.children || []).map((c) => treeNode(c, combo))));
}

function neuronCard(n) {
  const card = el("div", { class: "card neuron", "data-neuron": n.id },
    el("h3", {}, `${n.id}  `, el("span", { class: `status-${n.status}` }, n.status), n.note ? ` · ${n.note}` : "",
      el("span", { class: "muted" }, ` · ${n.n_sequences} sequences · max activation M ${fmt(n.max_activation)}`,
        ` · best consensus C ${fmt(n.consensus_activation)} (C/M ${fmt(n.ratio)}) · motif_nb ${n.motif_nb}`)));
  if (n.crms.length) {
    card.append(el("h3", {}, "CRMs"), el("div", { class: "logos" }, n.crms.map((c) =>
      logo(c.crm, { nsites: c.n_sequences, caption: `C/M ${fmt(c.ratio)} · ${c.n_sequences} seq`, column: 9, height: 40 }))));
  }
  if (n.dictionary.length) {
    card.append(el("h3", {}, "Dictionary"), el("div", { class: "logos" }, n.dictionary.map((m) =>
      logo(m.motif, { caption: (m.match ? `${m.match.name} q ${fmt(m.match.q_value)}` : "unnamed")
        + (m.also.length ? ` (also ${m.also.join(", ")})` : ""), column: 10, height: 40 }))));
  }
  if (n.combinations.length) {
    card.append(el("h3", {}, "Syntax trees"));
    for (const combo of n.combinations) {
      card.append(el("div", {}, el("span", {}, combo.label, ` · ${combo.crms.length} CRMs`),
        el("ul", { class: "tree" }, treeNode(combo.tree, combo))));
    }
  }
  return card;
}

function renderNeurons(root) {
  const state = { text: "", layer: "", status: "", sort: "id", page: 0 };
  const layers = [...new Set(DATA.neurons.map((n) => n.layer))];
  const search = el("input", { type: "search", placeholder: "TF name, motif or neuron (e.g. KLF1, L3_N5)", id: "neuron-search", size: 36 });
  const layerSel = el("select", { id: "neuron-layer" }, el("option", { value: "" }, "all layers"),
    layers.map((l) => el("option", { value: String(l) }, `layer ${l}`)));
  const statusSel = el("select", { id: "neuron-status" }, ["", "ok", "sick", "dead"].map((s) => el("option", { value: s }, s || "any status")));
  const sortSel = el("select", { id: "neuron-sort" },
    [["id", "layer, neuron"], ["ratio", "C/M (low first)"], ["n_sequences", "sequences (most first)"], ["n_crms", "CRMs (most first)"]]
      .map(([v, t]) => el("option", { value: v }, `sort: ${t}`)));
  const count = el("span", { class: "muted", id: "neuron-count" });
  const pager = el("span", { class: "pager" });
  const list = el("div", { id: "neuron-list" });
  root.append(el("div", { class: "controls" }, search, layerSel, statusSel, sortSel, count, pager), list);

  function selected() {
    const text = state.text.trim().toLowerCase();
    const rows = DATA.neurons.filter((n) => (!state.layer || String(n.layer) === state.layer)
      && (!state.status || n.status === state.status)
      && (!text || n.search.includes(text)));
    const keys = { ratio: (n) => n.ratio, n_sequences: (n) => -n.n_sequences, n_crms: (n) => -n.crms.length };
    if (keys[state.sort]) rows.sort((a, b) => keys[state.sort](a) - keys[state.sort](b) || a.order - b.order);
    return rows;
  }
  function draw() {
    const rows = selected();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    count.textContent = `${rows.length} of ${DATA.neurons.length} neurons`;
    pager.replaceChildren(
      el("button", { onclick: () => { state.page = Math.max(0, state.page - 1); draw(); } }, "‹"),
      el("span", { class: "page" }, ` page ${state.page + 1} / ${pages} `),
      el("button", { onclick: () => { state.page = Math.min(pages - 1, state.page + 1); draw(); } }, "›"));
    list.replaceChildren(...rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).map(neuronCard));
  }
  search.addEventListener("input", () => { state.text = search.value; state.page = 0; draw(); });
  layerSel.addEventListener("change", () => { state.layer = layerSel.value; state.page = 0; draw(); });
  statusSel.addEventListener("change", () => { state.status = statusSel.value; state.page = 0; draw(); });
  sortSel.addEventListener("change", () => { state.sort = sortSel.value; draw(); });
  draw();
}

// ---- tabs: each section is built the first time it is shown ----------------------------------------------------
const SECTIONS = { overview: renderOverview, rules: renderRules, atlas: renderAtlas, neurons: renderNeurons };
function show(name) {
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.section === name);
  for (const s of document.querySelectorAll("main section")) {
    const active = s.id === name;
    s.classList.toggle("active", active);
    if (active && !s.dataset.built) { SECTIONS[name](s); s.dataset.built = "1"; }
  }
}
document.title = `neuronmotif · ${DATA.title}`;
document.getElementById("run-title").textContent = DATA.title;
document.getElementById("run-sub").textContent = DATA.subtitle;
for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => show(b.dataset.section));
show(DATA.rules && DATA.rules.rules.length ? "rules" : "overview");
