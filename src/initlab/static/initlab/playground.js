/**
 * The initialization playground: chapter 1's tiny network trained live in the page.
 *
 * Each ``.initlab-playground`` element (written by the book's ``initlab-playground`` directive)
 * holds its starting state, presets and data sets as JSON in ``data-config`` and a static picture
 * for pages without JavaScript. ``new Playground(root)`` replaces the picture by controls (data
 * set, initializer and weight scale, activation, hidden layers and units, learning rate, seed),
 * play / pause / step / restart buttons, presets, and four canvases drawn by hand while it trains:
 *
 *   - the decision boundary (p = ½) and the probability p over the data,
 *   - the loss per step against the base-rate loss (the loss of predicting ȳ everywhere),
 *   - the incoming weights (w from x₁, w from x₂) of every unit of the first hidden layer:
 *     units that are copies of each other lie on one dot,
 *   - the gradient norm ‖∂ℒ/∂W_l‖ of each layer on a log axis.
 *
 * Training runs a few steps per animation frame on the main thread (a step of the default network
 * takes a few microseconds, make bench), so pause and step answer at once. The numbers are shown
 * as text too; a status line (an ARIA live region) announces step, loss and accuracy when the run
 * pauses or steps. The settings live in the URL hash, ``#<id>:data=chapter&init=zeros&...``.
 */

import { ACTIVATIONS, activationName } from "./activations.js";
import { initializerName } from "./initializers.js";
import { sizeCanvas } from "./canvas.js";
import { hashCodec } from "./hashstate.js";
import { pyFormat } from "./pyformat.js";
import { Trainer } from "./train.js";

/** Initializers, data sets, ranges and defaults, as ``book/_ext/initlab_playground.py``. */
export const PLAYGROUND_INITS = ["zeros", "ones", "random_normal", "glorot_uniform", "glorot_normal", "he_uniform",
  "he_normal", "lecun_uniform", "lecun_normal"];
export const PLAYGROUND_DATA = ["chapter", "circles", "moons", "xor"];
export const PLAYGROUND_LIMITS = { scale: [0.01, 1000], layers: [1, 3], units: [1, 16], lr: [0.001, 10], seed: [0, 9999] };
export const PLAYGROUND_DEFAULTS = { data: "chapter", activation: "tanh", init: "glorot_uniform", scale: 1, layers: 1,
  units: 4, lr: 1, seed: 0 };
/** Steps per animation frame while playing (about 240 steps a second), and where a run stops. */
export const STEPS_PER_FRAME = 4;
export const MAX_STEPS = 5000;
const KEYS = Object.keys(PLAYGROUND_DEFAULTS);
const GRID = 48;

/** Check and complete a state; numbers outside the limits are clamped. Throws on unknown names. */
export function checkPlaygroundState(state) {
  const s = { ...PLAYGROUND_DEFAULTS, ...state };
  for (const k of Object.keys(s)) if (!KEYS.includes(k)) throw new Error(`unknown playground setting '${k}'; valid: ${KEYS.join(", ")}`);
  if (!PLAYGROUND_DATA.includes(s.data)) throw new Error(`data must be one of ${PLAYGROUND_DATA.join(", ")}; got '${s.data}'`);
  s.activation = activationName(s.activation);
  s.init = initializerName(s.init);
  if (!PLAYGROUND_INITS.includes(s.init)) throw new Error(`init must be one of ${PLAYGROUND_INITS.join(", ")}; got '${s.init}'`);
  for (const [k, [lo, hi]] of Object.entries(PLAYGROUND_LIMITS)) {
    const v = Number(s[k]);
    if (!Number.isFinite(v)) throw new Error(`${k} must be a number in [${lo}, ${hi}]; got '${s[k]}'`);
    s[k] = Math.min(Math.max(v, lo), hi);
  }
  for (const k of ["layers", "units", "seed"]) s[k] = Math.round(s[k]);
  return s;
}

export const { encode: encodePlaygroundState, decode: decodePlaygroundState } = hashCodec(KEYS, checkPlaygroundState);

/** The loss of predicting the base rate ȳ for every point: −[ȳ log ȳ + (1 − ȳ) log(1 − ȳ)]. */
export function baseRateLoss(y) {
  const r = y.reduce((s, v) => s + v, 0) / y.length;
  return r <= 0 || r >= 1 ? 0 : -(r * Math.log(r) + (1 - r) * Math.log(1 - r));
}

/** How many different incoming-weight columns a layer W (a × n, row-major) has: 1 = all units are copies. */
export function distinctUnits(W, a, n) {
  const seen = new Set();
  for (let j = 0; j < n; j++) {
    const col = [];
    for (let k = 0; k < a; k++) col.push(W[k * n + j]);
    seen.add(col.join(","));
  }
  return seen.size;
}

// ---------------------------------------------------------------------------------------------
// Drawing

function palette(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { text: v("--ilp-text", "#222"), muted: v("--ilp-muted", "#666"), grid: v("--ilp-grid", "#ddd"),
    bg: v("--ilp-bg", "#fff"), c0: v("--ilp-class0", "#0072B2"), c1: v("--ilp-class1", "#D55E00"),
    loss: v("--ilp-loss", "#0072B2"), base: v("--ilp-base", "#666"), unit: v("--ilp-unit", "#009E73"),
    bar: v("--ilp-bar", "#CC79A7") };
}

const fmt = (v, spec = ".3g") => (Number.isFinite(v) ? pyFormat(v, spec) : String(v));

/** A canvas sized to its CSS box at the device's pixel ratio; returns a 2-D context and its size. */
function sized(canvas) {
  const { ctx, w, h } = sizeCanvas(canvas, 240);
  ctx.font = "12px system-ui, sans-serif";
  return { ctx, w, h };
}

/** Axes with ticks; ``log`` for a log-10 y axis. Returns the data-to-pixel maps. */
function axes(ctx, w, h, colors, { x: [x0, x1], y: [y0, y1], xticks, yticks, xlabel, ylabel, log = false, square = false }) {
  const pad = { l: 50, r: 16, t: 8, b: 34 };
  let pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  if (square) { const s = Math.min(pw, ph); pad.l += (pw - s) / 2; pw = ph = s; }
  const ty = (v) => (log ? Math.log10(v) : v);
  const X = (v) => pad.l + (v - x0) / (x1 - x0) * pw;
  const Y = (v) => pad.t + ph - (ty(v) - ty(y0)) / (ty(y1) - ty(y0)) * ph;
  ctx.strokeStyle = colors.grid; ctx.fillStyle = colors.text; ctx.lineWidth = 1;
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of yticks) {
    ctx.beginPath(); ctx.moveTo(pad.l, Y(t)); ctx.lineTo(pad.l + pw, Y(t)); ctx.stroke();
    ctx.fillText(log ? `1e${Math.round(Math.log10(t))}` : fmt(t), pad.l - 4, Y(t));
  }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const t of xticks) ctx.fillText(typeof t === "string" ? t : fmt(t), X(typeof t === "string" ? xticks.indexOf(t) + 1 : t), pad.t + ph + 4);
  ctx.fillText(xlabel, pad.l + pw / 2, pad.t + ph + 19);
  ctx.save(); ctx.translate(pad.l - 40, pad.t + ph / 2); ctx.rotate(-Math.PI / 2); ctx.textBaseline = "middle";
  ctx.fillText(ylabel, 0, 0); ctx.restore();
  ctx.strokeStyle = colors.muted; ctx.strokeRect(pad.l, pad.t, pw, ph);
  return { X, Y, pad, pw, ph };
}

const hexRgb = (hex) => {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex) || [0, "80", "80", "80"];
  return [1, 2, 3].map((i) => parseInt(m[i], 16));
};

/** Round numbers for ticks: about ``n`` of them from 0 to ``max``. */
function ticks(max, n = 4) {
  const raw = max / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10, 20].map((m) => m * mag).find((s) => s >= raw) ?? raw;   // 20: log10's round-off
  const out = [];
  for (let t = 0; t <= max * (1 + 1e-9); t += step) out.push(Number(t.toPrecision(6)));
  return out;
}

export function drawBoundary(canvas, colors, view, p, data) {
  const { ctx, w, h } = sized(canvas);
  const { X, Y, pad, pw, ph } = axes(ctx, w, h, colors, { x: view.x, y: view.y, xticks: ticks2(view.x), yticks: ticks2(view.y),
    xlabel: "x₁", ylabel: "x₂", square: true });
  // p on a GRID × GRID image, blue (p = 0) through transparent (½) to red (p = 1), smoothed when scaled.
  const img = new ImageData(GRID, GRID), c0 = hexRgb(colors.c0), c1 = hexRgb(colors.c1);
  for (let i = 0; i < GRID; i++) {
    for (let j = 0; j < GRID; j++) {
      const q = p[i * GRID + j], c = q >= 0.5 ? c1 : c0, o = ((GRID - 1 - i) * GRID + j) * 4;
      img.data.set([...c, Math.round(Math.min(Math.abs(q - 0.5) * 2, 1) * 110)], o);
    }
  }
  const off = document.createElement("canvas");
  off.width = off.height = GRID;
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, pad.l, pad.t, pw, ph);
  contour(ctx, p, view, X, Y, colors.text);
  const { x, y } = data;
  for (let i = 0; i < y.length; i++) {
    ctx.beginPath(); ctx.arc(X(x[2 * i]), Y(x[2 * i + 1]), 2.6, 0, 2 * Math.PI);
    ctx.fillStyle = y[i] ? colors.c1 : colors.c0; ctx.fill();
    ctx.strokeStyle = colors.bg; ctx.lineWidth = 0.7; ctx.stroke();
  }
}

/** Ticks at whole numbers inside a range. */
function ticks2([lo, hi]) {
  const out = [];
  for (let t = Math.ceil(lo); t <= hi; t++) out.push(t);
  return out;
}

/** The p = ½ line by marching squares over the grid (linear interpolation along cell edges). */
function contour(ctx, p, view, X, Y, color) {
  const gx = (j) => view.x[0] + j / (GRID - 1) * (view.x[1] - view.x[0]);
  const gy = (i) => view.y[0] + i / (GRID - 1) * (view.y[1] - view.y[0]);
  ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
  for (let i = 0; i < GRID - 1; i++) {
    for (let j = 0; j < GRID - 1; j++) {
      const corners = [[i, j], [i, j + 1], [i + 1, j + 1], [i + 1, j]];
      const pts = [];
      for (let e = 0; e < 4; e++) {
        const [ai, aj] = corners[e], [bi, bj] = corners[(e + 1) % 4];
        const a = p[ai * GRID + aj] - 0.5, b = p[bi * GRID + bj] - 0.5;
        if ((a < 0) !== (b < 0)) {
          const t = a / (a - b);
          pts.push([gx(aj + t * (bj - aj)), gy(ai + t * (bi - ai))]);
        }
      }
      for (let k = 0; k + 1 < pts.length; k += 2) {
        ctx.moveTo(X(pts[k][0]), Y(pts[k][1])); ctx.lineTo(X(pts[k + 1][0]), Y(pts[k + 1][1]));
      }
    }
  }
  ctx.stroke();
}

export function drawLoss(canvas, colors, view, loss, base) {
  const { ctx, w, h } = sized(canvas);
  const { X, Y, pad, pw } = axes(ctx, w, h, colors, { x: [0, view.steps], y: [0, view.loss], xticks: ticks(view.steps),
    yticks: ticks(view.loss), xlabel: "step", ylabel: "loss" });
  ctx.strokeStyle = colors.base; ctx.lineWidth = 1.5; ctx.setLineDash([6, 4]);
  ctx.beginPath(); ctx.moveTo(X(0), Y(base)); ctx.lineTo(X(view.steps), Y(base)); ctx.stroke(); ctx.setLineDash([]);
  ctx.strokeStyle = colors.loss; ctx.lineWidth = 2; ctx.beginPath();
  const every = Math.max(1, Math.floor(loss.length / pw));
  for (let s = 0; s < loss.length; s += every) {
    const v = Math.min(loss[s], view.loss);
    if (s === 0) ctx.moveTo(X(s), Y(v)); else ctx.lineTo(X(s), Y(v));
  }
  const last = loss.length - 1;
  ctx.lineTo(X(last), Y(Math.min(loss[last], view.loss)));
  ctx.stroke();
  ctx.fillStyle = colors.base; ctx.textAlign = "right"; ctx.textBaseline = "bottom";
  ctx.fillText(`base rate ${fmt(base, ".3f")}`, pad.l + pw - 4, Y(base) - 2);
}

/**
 * The incoming weights of each unit of one hidden layer (W is a × n, row-major): for the first
 * layer (a = 2) a dot per unit at (weight from x₁, weight from x₂); for a deeper one a line per
 * unit through its a incoming weights. Units that are copies of each other draw on top of each other.
 */
export function drawUnits(canvas, colors, r, W, a, n, distinct) {
  const { ctx, w, h } = sized(canvas);
  const t = ticks(r, 3);   // at least one tick besides 0
  const both = [...t.slice(1).reverse().map((v) => -v), ...t];
  const note = distinct === null ? "the weights overflowed" : `${n} unit${n > 1 ? "s" : ""}, ${distinct} distinct`;
  if (a !== 2) {
    const inputs = Array.from({ length: a }, (_, k) => String(k + 1));
    const { X, Y, pad } = axes(ctx, w, h, colors, { x: [0.5, a + 0.5], y: [-r, r], xticks: inputs, yticks: both,
      xlabel: "from unit … of the layer below", ylabel: "incoming weight" });
    ctx.fillStyle = colors.text; ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText(note, pad.l + 4, pad.t + 4);            // first: the units draw over it
    for (let j = 0; j < n; j++) {
      ctx.strokeStyle = colors.unit; ctx.fillStyle = colors.unit; ctx.lineWidth = 2; ctx.globalAlpha = 0.6;
      ctx.beginPath();
      for (let k = 0; k < a; k++) ctx[k ? "lineTo" : "moveTo"](X(k + 1), Y(W[k * n + j]));
      ctx.stroke();
      ctx.globalAlpha = 1;
      for (let k = 0; k < a; k++) ctx.fillRect(X(k + 1) - 2.5, Y(W[k * n + j]) - 2.5, 5, 5);
    }
    return;
  }
  const { X, Y, pad } = axes(ctx, w, h, colors, { x: [-r, r], y: [-r, r], xticks: both, yticks: both,
    xlabel: "weight from x₁", ylabel: "weight from x₂", square: true });
  ctx.fillStyle = colors.text; ctx.textAlign = "left"; ctx.textBaseline = "top";
  ctx.fillText(note, pad.l + 4, pad.t + 4);
  ctx.lineWidth = 1.5;
  for (let j = 0; j < n; j++) {
    const a = W[j], b = W[n + j];
    ctx.strokeStyle = colors.unit; ctx.globalAlpha = 0.5;
    ctx.beginPath(); ctx.moveTo(X(0), Y(0)); ctx.lineTo(X(a), Y(b)); ctx.stroke();
    ctx.globalAlpha = 1; ctx.fillStyle = colors.unit;
    ctx.beginPath(); ctx.arc(X(a), Y(b), 5, 0, 2 * Math.PI); ctx.fill();
    ctx.strokeStyle = colors.bg; ctx.lineWidth = 1; ctx.stroke();
  }
}

export function drawGrads(canvas, colors, norms) {
  const { ctx, w, h } = sized(canvas);
  const lo = 1e-8, hi = 1e2, labels = norms.map((_, l) => `W${l + 1}`);
  const { X, Y, pad, ph } = axes(ctx, w, h, colors, { x: [0.4, norms.length + 0.6], y: [lo, hi], log: true,
    xticks: labels, yticks: [1e-8, 1e-6, 1e-4, 1e-2, 1, 1e2], xlabel: "layer", ylabel: "‖∂ℒ/∂W‖ (log)" });
  const bw = Math.min(40, (X(2) - X(1)) * 0.6);
  norms.forEach((v, l) => {
    const top = v > lo ? Y(Math.min(v, hi)) : pad.t + ph;
    ctx.fillStyle = colors.bar; ctx.fillRect(X(l + 1) - bw / 2, top, bw, pad.t + ph - top);
    ctx.fillStyle = colors.text; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
    ctx.fillText(v === 0 ? "0" : Number.isFinite(v) ? fmt(v, ".2g") : "overflow", X(l + 1), Math.max(top - 2, pad.t + 12));
  });
}

// ---------------------------------------------------------------------------------------------
// The playground

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const SLIDERS = { scale: [-2, 3, 0.01], lr: [-3, 1, 0.05] };   // log10 ranges of the two log sliders

export class Playground {
  /** @param {HTMLElement} root an element with class initlab-playground and a data-config */
  constructor(root) {
    this.root = root;
    this.id = root.id || "playground";
    const config = JSON.parse(root.dataset.config || "{}");
    this.presets = config.presets || [];
    this.tasks = config.tasks || {};
    for (const name of PLAYGROUND_DATA) {
      if (!this.tasks[name]) throw new Error(`the playground's configuration has no data set '${name}'`);
    }
    this.start = checkPlaygroundState(config.state || {});
    this.playing = false;
    this.build();
    const fromHash = this.hashState();
    this.state = fromHash || this.start;
    this.showControls();
    this.restart();
    this.announce();
    if (fromHash) this.root.scrollIntoView();
    window.addEventListener("hashchange", () => { const s = this.hashState(); if (s) this.set(s, { hash: false }); });
    new MutationObserver(() => this.draw()).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (window.ResizeObserver) new ResizeObserver(() => this.draw()).observe(this.panels);
  }

  hashState() {
    const prefix = `#${this.id}:`;
    if (!location.hash.startsWith(prefix)) return null;
    try { return decodePlaygroundState(location.hash.slice(prefix.length)); } catch (e) { return null; }
  }

  build() {
    const id = this.id, L = PLAYGROUND_LIMITS;
    const option = (list, label = (x) => x) => list.map((x) => `<option value="${x}">${esc(label(x))}</option>`).join("");
    const presetButtons = (kind) => this.presets.map((p, i) => (p.kind === kind
      ? `<button type="button" class="ilx-preset ilx-${kind}" data-preset="${i}">${esc(p.label)}</button>` : "")).join("");
    const range = (name, [lo, hi, step]) => `<input type="range" name="${name}" min="${lo}" max="${hi}" step="${step}"><output></output>`;
    const live = document.createElement("div");
    live.className = "ilp-live";
    live.innerHTML = `
      <div class="ilx-controls">
        <label>data <select name="data">${option(PLAYGROUND_DATA, (d) => this.tasks[d].label || d)}</select></label>
        <label>initializer <select name="init">${option(PLAYGROUND_INITS)}</select></label>
        <label>weight scale ${range("scale", SLIDERS.scale)}</label>
        <label>activation <select name="activation">${option(ACTIVATIONS)}</select></label>
        <label>hidden layers <select name="layers">${option([1, 2, 3])}</select></label>
        <label>units per layer ${range("units", [L.units[0], L.units[1], 1])}</label>
        <label>learning rate ${range("lr", SLIDERS.lr)}</label>
        <label>seed <input type="number" name="seed" min="${L.seed[0]}" max="${L.seed[1]}" step="1" inputmode="numeric"></label>
      </div>
      <div class="ilp-transport" role="group" aria-label="training">
        <button type="button" class="ilp-play"><span aria-hidden="true">▶</span> play</button>
        <button type="button" class="ilp-step" title="one gradient-descent step">step</button>
        <button type="button" class="ilp-restart" title="new starting weights from the settings, step 0">restart</button>
        <span class="ilp-numbers" aria-hidden="true"></span>
      </div>
      <div class="ilx-presets" role="group" aria-label="presets">
        ${this.presets.some((p) => p.kind === "break") ? `<span class="ilx-preset-label">Break it:</span>${presetButtons("break")}` : ""}
        ${this.presets.some((p) => p.kind === "fix") ? `<span class="ilx-preset-label">Fix it:</span>${presetButtons("fix")}` : ""}
      </div>
      <p class="ilp-status" role="status" aria-live="polite" aria-atomic="true"></p>
      <div class="ilp-panels">
        <figure class="ilx-panel"><figcaption>decision boundary (line: p = ½) over the data:
          <span class="ilx-key ilp-key-c1">class 1</span> <span class="ilx-key ilp-key-c0">class 0</span></figcaption>
          <canvas class="ilp-boundary" role="img"></canvas></figure>
        <figure class="ilx-panel"><figcaption><span class="ilx-key ilp-key-loss">loss</span>
          <span class="ilx-key ilp-key-base">base-rate loss (predict ȳ everywhere)</span></figcaption>
          <canvas class="ilp-loss" role="img"></canvas></figure>
        <figure class="ilx-panel"><figcaption><label>incoming weights of each unit of hidden layer
          <select class="ilp-units-layer"><option value="1">1</option></select></label>
          <span class="ilp-units-hint">(copies lie on one dot)</span></figcaption>
          <canvas class="ilp-units" role="img"></canvas></figure>
        <figure class="ilx-panel"><figcaption>gradient norm per layer, ‖∂ℒ/∂W_l‖</figcaption>
          <canvas class="ilp-grads" role="img"></canvas></figure>
      </div>`;
    this.root.insertBefore(live, this.root.querySelector(".initlab-playground-caption"));
    this.root.classList.add("ilp-ready");
    this.controls = Object.fromEntries([...live.querySelectorAll("[name]")].map((el) => [el.name, el]));
    this.statusEl = live.querySelector(".ilp-status");
    this.numbersEl = live.querySelector(".ilp-numbers");
    this.unitsLayer = live.querySelector(".ilp-units-layer");
    this.unitsLayer.addEventListener("change", () => this.draw());
    this.playButton = live.querySelector(".ilp-play");
    this.panels = live.querySelector(".ilp-panels");
    this.canvases = Object.fromEntries(["boundary", "loss", "units", "grads"].map((k) => [k, live.querySelector(`.ilp-${k}`)]));
    for (const [name, el] of Object.entries(this.controls)) {
      el.addEventListener(el.tagName === "SELECT" || name === "seed" ? "change" : "input", () => this.fromControl(name));
    }
    this.playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    live.querySelector(".ilp-step").addEventListener("click", () => this.step());
    live.querySelector(".ilp-restart").addEventListener("click", () => { this.restart(); this.announce(); });
    live.querySelectorAll(".ilx-preset").forEach((b) => b.addEventListener("click", () => this.set(this.presets[+b.dataset.preset].set)));
  }

  fromControl(name) {
    let value = this.controls[name].value;
    if (name in SLIDERS) value = Number(pyFormat(10 ** Number(value), ".3g"));
    this.set({ [name]: value });
    const [lo, hi] = PLAYGROUND_LIMITS[name] || [];
    if (name === "seed" && String(this.state.seed) !== String(value).trim()) {   // typed: say why it changed
      this.statusEl.textContent = `The seed must be a whole number in [${lo}, ${hi}]; using ${this.state.seed}. `
        + this.statusEl.textContent;
    }
  }

  /** Show the state in the controls (without firing their events). */
  showControls() {
    const s = this.state, c = this.controls;
    for (const k of ["data", "init", "activation", "layers", "seed"]) c[k].value = String(s[k]);
    c.units.value = s.units; c.units.nextElementSibling.value = String(s.units);
    for (const k of Object.keys(SLIDERS)) {
      c[k].value = Math.log10(s[k]).toFixed(2);
      c[k].nextElementSibling.value = (k === "scale" ? "× " : "") + fmt(s[k]);
    }
    c.scale.setAttribute("aria-valuetext", `weights multiplied by ${fmt(s.scale)}`);
    c.lr.setAttribute("aria-valuetext", `learning rate ${fmt(s.lr)}`);
  }

  /** Change some settings and start a new run from step 0 (playing on if it was playing). */
  set(changes, { hash = true } = {}) {
    this.state = checkPlaygroundState({ ...this.state, ...changes });
    this.showControls();
    if (hash) history.replaceState(null, "", `#${this.id}:${encodePlaygroundState(this.state)}`);
    this.restart();
    if (!this.playing) this.announce();
  }

  /** A new run of the current settings, at step 0. */
  restart() {
    const s = this.state, data = this.tasks[s.data];
    this.data = data;
    this.trainer = new Trainer({ x: data.x, y: data.y, sizes: this.sizes(), activation: s.activation, init: s.init,
      scale: s.scale, lr: s.lr, seed: s.seed, steps: 0 });
    this.base = baseRateLoss(data.y);
    const xs = data.x.filter((_, i) => i % 2 === 0), ys = data.x.filter((_, i) => i % 2 === 1);
    const span = (v) => [Math.floor((Math.min(...v) - 0.25) * 2) / 2, Math.ceil((Math.max(...v) + 0.25) * 2) / 2];
    const [x, y] = [span(xs), span(ys)];
    const half = Math.max(x[1] - x[0], y[1] - y[0]) / 2, mid = (a) => (a[0] + a[1]) / 2;
    this.view = { x: [mid(x) - half, mid(x) + half], y: [mid(y) - half, mid(y) + half], steps: 100,
      loss: Math.max(1.5 * this.base, Math.min(this.trainer.loss[0], 10) * 1.05), weights: this.trainer.params.map(() => 1) };
    const shown = Math.min(Number(this.unitsLayer.value) || 1, this.state.layers);   // hidden layer 1, 2, …
    this.unitsLayer.innerHTML = Array.from({ length: this.state.layers }, (_, l) =>
      `<option value="${l + 1}"${l + 1 === shown ? " selected" : ""}>${l + 1}</option>`).join("");
    const g = [];
    for (let i = 0; i < GRID; i++) {
      for (let j = 0; j < GRID; j++) g.push(this.view.x[0] + j / (GRID - 1) * 2 * half, this.view.y[0] + i / (GRID - 1) * 2 * half);
    }
    this.grid = Float64Array.from(g);
    this.draw();
  }

  sizes() {
    return [2, ...Array(this.state.layers).fill(this.state.units), 1];
  }

  play() {
    if (this.playing) return;
    if (this.trainer.steps >= MAX_STEPS || this.overflowed()) this.restart();
    this.playing = true;
    this.playButton.innerHTML = '<span aria-hidden="true">❚❚</span> pause';
    this.statusEl.textContent = "training…";
    const tick = () => {
      if (!this.playing) return;
      this.advance();
      if (this.trainer.steps >= MAX_STEPS) this.pause(); else this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  /** One animation frame's work while playing: STEPS_PER_FRAME steps (up to MAX_STEPS), then a redraw. */
  advance() {
    this.trainer.step(Math.min(STEPS_PER_FRAME, MAX_STEPS - this.trainer.steps));
    this.draw();
    if (this.overflowed() && this.playing) this.pause();
  }

  /** The weights overflowed to infinity and the loss is no longer a number: training cannot go on. */
  overflowed() {
    return Number.isNaN(this.trainer.loss[this.trainer.loss.length - 1]);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.playButton.innerHTML = '<span aria-hidden="true">▶</span> play';
    this.announce();
  }

  /** One gradient-descent step (pausing first if playing). */
  step() {
    if (this.playing) this.pause();
    if (this.trainer.steps < MAX_STEPS && !this.overflowed()) this.trainer.step(1);
    this.draw();
    this.announce();
  }

  /** Step, loss, accuracy and the hidden units' copies, as a sentence. */
  summary() {
    const t = this.trainer, loss = t.loss[t.loss.length - 1];
    if (this.overflowed()) {
      return `Step ${t.steps}: the weights overflowed and the loss is no longer a number. `
        + "Lower the learning rate or the weight scale, then press play.";
    }
    const distinct = this.distinct().map((d, l) => `layer ${l + 1}: ${t.sizes[l + 1]} units, ${d} distinct`).join("; ");
    return `Step ${t.steps}: loss ${fmt(loss, ".4f")} (base rate ${fmt(this.base, ".4f")}), accuracy ${fmt(t.accuracy, ".2f")}. `
      + `Hidden ${distinct}.`;
  }

  announce() {
    this.statusEl.textContent = this.summary();
  }

  /** The number of different units in each hidden layer. */
  distinct() {
    const { params, sizes } = this.trainer;
    return params.slice(0, -1).map(({ W }, l) => distinctUnits(W, sizes[l], sizes[l + 1]));
  }

  draw() {
    if (!this.trainer) return;
    const t = this.trainer, colors = palette(this.root), loss = t.loss[t.loss.length - 1];
    while (t.steps > this.view.steps) this.view.steps *= 2;
    const l = Number(this.unitsLayer.value) - 1, W = t.params[l].W, n = t.sizes[l + 1];
    for (const v of W) {
      if (Number.isFinite(v) && Math.abs(v) * 1.1 > this.view.weights[l]) this.view.weights[l] = 2 ** Math.ceil(Math.log2(Math.abs(v) * 1.1));
    }
    this.root.querySelector(".ilp-units-hint").textContent = l ? "(copies lie on one line)" : "(copies lie on one dot)";
    const p = t.predict(this.grid), norms = t.gradNorms(), distinct = this.distinct();
    drawBoundary(this.canvases.boundary, colors, this.view, p, this.data);
    drawLoss(this.canvases.loss, colors, this.view, t.loss, this.base);
    drawUnits(this.canvases.units, colors, this.view.weights[l], W, t.sizes[l], n, this.overflowed() ? null : distinct[l]);
    drawGrads(this.canvases.grads, colors, norms);
    this.numbersEl.textContent = `step ${t.steps} · loss ${fmt(loss, ".4f")} · accuracy ${fmt(t.accuracy, ".2f")}`;
    const c = this.canvases;
    c.boundary.setAttribute("aria-label", `Decision boundary over ${t.m} points; accuracy ${fmt(t.accuracy, ".2f")}.`);
    c.loss.setAttribute("aria-label", `Loss from ${fmt(t.loss[0], ".3f")} at step 0 to ${fmt(loss, ".3f")} at step ${t.steps}; `
      + `base-rate loss ${fmt(this.base, ".3f")}.`);
    c.units.setAttribute("aria-label", `Incoming weights of the ${n} units of hidden layer ${l + 1}: `
      + `${distinct[l]} of them differ, the others are copies.`);
    c.grads.setAttribute("aria-label", "Gradient norm per layer: " + norms.map((v, l) => `W${l + 1} ${fmt(v, ".2g")}`).join(", ") + ".");
    Object.assign(this.root.dataset, { step: t.steps, loss, accuracy: t.accuracy, distinct: distinct.join(",") });
  }
}

/** Start every playground under ``root`` that is not running yet. */
export function bootPlaygrounds(root = document) {
  return [...root.querySelectorAll(".initlab-playground:not(.ilp-ready)")].map((el) => {
    const playground = new Playground(el);
    el.initlabPlayground = playground;
    return playground;
  });
}
