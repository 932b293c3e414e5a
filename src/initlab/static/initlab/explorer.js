/**
 * The break-it / fix-it explorer, computing in the page: the JavaScript sibling of
 * ``initlab.widgets.Explorer``, with the same controls, panels and verdict.
 *
 * Each ``.initlab-explorer`` element (written by the book's ``initlab-explorer`` directive) holds
 * its scenario and presets as JSON in ``data-config`` and a static picture for pages without
 * JavaScript. ``new Explorer(root)`` replaces the picture by live controls and three canvases:
 *
 *   - a heat strip of the per-layer histograms of the activations,
 *   - the forward and backward std per layer on a log axis, with the theory dotted,
 *   - the saturated and dead fractions per layer,
 *
 * and a verdict line in an ARIA live region. A preset sets a whole scenario (the starting state
 * with its own settings on top). With ``draws`` > 1 in the configuration, every state runs with the
 * seeds seed..seed + draws − 1 and the std panel shows their median line with the range shaded;
 * the verdict reads the median. Every change runs ``simulate`` in a worker (the page
 * stays responsive while a slider is dragged; a burst of changes computes only the latest) and
 * redraws by hand on canvas: no plotting library, a few hundred lines instead of a dependency.
 * The state lives in the URL hash, ``#<id>:init=zeros&scale=1&...``, so a link reopens it.
 */

import { activationName, ACTIVATIONS, BOUNDED_RANGE } from "./activations.js";
import { initializerName } from "./initializers.js";
import { sizeCanvas } from "./canvas.js";
import { hashCodec } from "./hashstate.js";
import { pyFormat } from "./pyformat.js";
import { Simulator, ratio } from "./simulate.js";
import { predictVariance } from "./theory.js";
import { VERDICT_RULE, verdict } from "./verdict.js";

/** Initializers the explorer offers, as ``widgets.INITS``. */
export const INITS = ["zeros", "ones", "random_normal", "random_uniform", "truncated_normal", "numpy_rand",
  "uniform_pm03", "uniform_pm1", "glorot_standard", "glorot_uniform", "glorot_normal", "he_uniform",
  "he_normal", "lecun_uniform", "lecun_normal", "orthogonal"];
/** The ranges of the controls, as ``widgets.LIMITS``; batch sizes offered in the page. */
export const LIMITS = { depth: [1, 100], width: [4, 1024], scale: [0.01, 100] };
export const BATCHES = [32, 64, 128, 256];
export const DEFAULTS = { depth: 30, width: 256, activation: "relu", init: "glorot_uniform", scale: 1, batch: 64, seed: 0 };
const BINS = 41;
const KEYS = Object.keys(DEFAULTS);

/** Check and complete a state; numbers outside LIMITS are clamped. Throws on unknown names. */
export function checkState(state) {
  const s = { ...DEFAULTS, ...state };
  for (const k of Object.keys(s)) if (!KEYS.includes(k)) throw new Error(`unknown explorer setting '${k}'; valid: ${KEYS.join(", ")}`);
  s.activation = activationName(s.activation);
  s.init = initializerName(s.init);
  if (!INITS.includes(s.init)) throw new Error(`init must be one of ${INITS.join(", ")}; got '${s.init}'`);
  for (const k of ["depth", "width", "scale", "batch", "seed"]) {
    const v = Number(s[k]);
    if (!Number.isFinite(v)) throw new Error(`${k} must be a number; got '${s[k]}'`);
    s[k] = v;
  }
  const clamp = (k) => Math.min(Math.max(s[k], LIMITS[k][0]), LIMITS[k][1]);
  s.depth = Math.round(clamp("depth"));
  s.width = Math.round(clamp("width"));
  s.scale = clamp("scale");
  s.batch = BATCHES.reduce((best, b) => (Math.abs(b - s.batch) < Math.abs(best - s.batch) ? b : best));
  s.seed = Math.max(0, Math.round(s.seed));
  return s;
}

/** The state as a URL hash query, and back. */
export const { encode: encodeState, decode: decodeState } = hashCodec(KEYS, checkState);

/** How many random draws an explorer may show at once (the directive's ``:draws:``). */
export const MAX_DRAWS = 10;

/** ``draws`` if it is a whole number of draws an explorer may show, else a RangeError saying so. */
function checkDraws(draws) {
  if (!Number.isInteger(draws) || draws < 1 || draws > MAX_DRAWS) {
    throw new RangeError(`draws must be an integer from 1 to ${MAX_DRAWS}, got ${draws}`);
  }
  return draws;
}
/** Above this many bytes of weights, the draws share one simulator (resampling each time) instead
 * of keeping one sampled network each: memory stays bounded at any depth and width. */
const POOL_BYTES = 2 ** 25;
const STAT_KEYS = ["pre_std", "act_std", "act_mean", "grad_std", "saturation", "dead"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The per-layer median of several runs of ``simulate`` (the same network, different seeds), as one
 * run: every statistic is the median over the runs at each layer, the ratios are those of the
 * median lines, an overflow is where the median reaches Infinity, the histograms are pooled.
 * One run is returned as it is.
 *
 * >>> medianRun([a, b, c]).pre_std[l] === median([a.pre_std[l], b.pre_std[l], c.pre_std[l]])
 */
export function medianRun(sims) {
  if (!Array.isArray(sims) || !sims.length) throw new TypeError("medianRun needs a non-empty list of simulate() results");
  if (sims.length === 1) return sims[0];
  const first = sims[0], depth = first.depth, last = depth - 1;
  const out = { ...first, draws: sims.length };
  for (const k of STAT_KEYS) out[k] = Array.from({ length: depth }, (_, l) => median(sims.map((s) => s[k][l])));
  const fwd = out.pre_std.findIndex((v) => !Number.isFinite(v));
  out.overflow_layer = fwd < 0 ? null : fwd + 1;
  let back = null;
  if (out.overflow_layer === null) out.grad_std.forEach((v, l) => { if (!Number.isFinite(v)) back = l + 1; });
  out.grad_overflow_layer = back;
  out.ratio = ratio(out.pre_std[last], out.pre_std[0]);
  out.act_ratio = ratio(out.act_std[last], out.act_std[0]);
  out.grad_ratio = ratio(out.grad_std[0], out.grad_std[last]);
  out.message = `median over ${sims.length} draws (seeds ${first.seed}-${first.seed + sims.length - 1})`;
  if (first.act_hist) {
    out.act_hist = { ...first.act_hist, counts: first.act_hist.counts.map((row, l) =>
      Array.from(row, (_, b) => sims.reduce((t, s) => t + s.act_hist.counts[l][b], 0) / sims.length)) };
  }
  return out;
}

/** Per layer, the smallest and largest std over the runs: {pre_std: {lo, hi}, grad_std: {lo, hi}}. */
export function drawBand(sims) {
  const range = (k) => ({ lo: sims[0][k].map((_, l) => Math.min(...sims.map((s) => s[k][l]))),
    hi: sims[0][k].map((_, l) => Math.max(...sims.map((s) => s[k][l]))) });
  return { pre_std: range("pre_std"), grad_std: range("grad_std") };
}

/**
 * Run one state ``draws`` times, with seeds seed, seed + 1, ..., seed + draws − 1: the median run
 * and its verdict, the band of the draws (null for one draw) and the theory. ``simulator``: one
 * Simulator, or a list (a pool, filled as needed) that keeps each draw's sampled network.
 */
export function compute(simulator, s, draws = 1) {
  const t0 = performance.now();
  checkDraws(draws);
  const pooled = Array.isArray(simulator) && 4 * s.depth * s.width * s.width <= POOL_BYTES;
  const pick = (i) => {
    if (!Array.isArray(simulator)) return simulator;
    const j = pooled ? i : 0;
    return (simulator[j] = simulator[j] || new Simulator());
  };
  const sims = Array.from({ length: draws }, (_, i) => pick(i).run({ depth: s.depth, width: s.width,
    batch: s.batch, activation: s.activation, init: s.init, scale: s.scale, seed: s.seed + i, bins: BINS }));
  const sim = medianRun(sims);
  const theory = predictVariance({ depth: s.depth, width: s.width, activation: s.activation, init: s.init, scale: s.scale });
  return { sim, band: draws > 1 ? drawBand(sims) : null, theory, verdict: verdict(sim), compute: performance.now() - t0 };
}

/** Computes states off the main thread when it can; ``run(state, draws)`` resolves to compute()'s result.
 * ``workerUrl``: where worker.js is (default: beside this module). */
class Runner {
  constructor(workerUrl) {
    this.queue = new Map();
    this.next = 0;
    try {
      this.worker = new Worker(workerUrl || new URL("./worker.js", import.meta.url), { type: "module" });
      this.worker.onmessage = (e) => this.settle(e.data);
      this.worker.onerror = () => this.fallBack();
    } catch (e) {
      this.fallBack();
    }
  }

  fallBack() {                     // no module workers (or they failed to load): compute here
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.simulators = this.simulators || [];
    for (const [id, { state, draws }] of this.queue) setTimeout(() => this.local(id, state, draws));
  }

  local(id, state, draws) {
    try {
      this.settle({ id, ...compute(this.simulators, state, draws) });
    } catch (e) {
      this.settle({ id, error: e.message });
    }
  }

  settle(data) {
    const job = this.queue.get(data.id);
    if (!job) return;
    this.queue.delete(data.id);
    if (data.error) job.reject(new Error(data.error)); else job.resolve(data);
  }

  run(state, draws = 1) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.queue.set(id, { state, draws, resolve, reject });
      if (this.worker) this.worker.postMessage({ id, state, draws });
      else setTimeout(() => this.local(id, state, draws));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing

const MAGMA = [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39], [252, 253, 191]];
function magma(t) {
  const x = Math.min(Math.max(t, 0), 1) * (MAGMA.length - 1), i = Math.min(Math.floor(x), MAGMA.length - 2), f = x - i;
  return MAGMA[i].map((c, k) => Math.round(c + f * (MAGMA[i + 1][k] - c)));
}

/** Colours from the page's CSS (they follow the theme's light and dark modes). */
function palette(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { text: v("--ilx-text", "#222"), muted: v("--ilx-muted", "#666"), grid: v("--ilx-grid", "#ddd"),
    fwd: v("--ilx-fwd", "#1f77b4"), bwd: v("--ilx-bwd", "#d95f02"), theory: v("--ilx-theory", "#222"),
    sat: v("--ilx-sat", "#7b3294"), dead: v("--ilx-dead", "#777"), alert: v("--ilx-alert", "#c0392b"),
    bg: v("--ilx-bg", "#fff") };
}

const fmtTick = (v) => (v === 0 ? "0" : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? pyFormat(v, ".3g") : pyFormat(v, ".0e"));

/** A canvas sized to its CSS box at the device's pixel ratio, with plot-area helpers. */
function frame(canvas, colors, { xmin, xmax, ymin, ymax, log = false, ylabel = "", yticks = [] }) {
  const { ctx, w, h } = sizeCanvas(canvas, 220);
  const pad = { l: 56, r: 14, t: 8, b: 34 };   // r: room for the last layer's label
  const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  const ty = (y) => (log ? Math.log10(y) : y);
  const X = (x) => pad.l + (x - xmin) / (xmax - xmin) * pw;
  const Y = (y) => pad.t + ph - (ty(y) - ty(ymin)) / (ty(ymax) - ty(ymin)) * ph;
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = colors.text;
  ctx.strokeStyle = colors.grid;
  ctx.lineWidth = 1;
  for (const t of yticks) {
    ctx.beginPath(); ctx.moveTo(pad.l, Y(t)); ctx.lineTo(pad.l + pw, Y(t)); ctx.stroke();
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ctx.fillText(fmtTick(t), pad.l - 4, Y(t));
  }
  const depth = Math.round(xmax - 0.5);
  const step = [1, 2, 5, 10, 20, 25, 50].find((s) => depth / s <= 6) || 50;
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let l = 1; l <= depth; l++) {
    if (l === 1 || l % step === 0) ctx.fillText(String(l), X(l), pad.t + ph + 4);
  }
  ctx.fillText("layer", pad.l + pw / 2, pad.t + ph + 18);
  if (ylabel) {
    ctx.save(); ctx.translate(9, pad.t + ph / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle"; ctx.fillText(ylabel, 0, 0); ctx.restore();
  }
  ctx.strokeStyle = colors.muted;
  ctx.strokeRect(pad.l, pad.t, pw, ph);
  return { ctx, X, Y, pad, pw, ph };
}

function line(ctx, X, Y, ys, color, { dash = [], marker = false, ok = (y) => Number.isFinite(y) } = {}) {
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash);
  ctx.beginPath();
  let pen = false;
  ys.forEach((y, l) => {
    if (!ok(y)) { pen = false; return; }
    if (pen) ctx.lineTo(X(l + 1), Y(y)); else ctx.moveTo(X(l + 1), Y(y));
    pen = true;
  });
  ctx.stroke(); ctx.setLineDash([]);
  if (marker) ys.forEach((y, l) => { if (ok(y)) ctx.fillRect(X(l + 1) - 2, Y(y) - 2, 4, 4); });
}

/** Log-axis limits snapped to whole decades with a fifth of a decade of margin (as the Python explorer). */
function decades(values) {
  const logs = values.map(Math.log10);
  return [10 ** Math.floor(Math.min(...logs) - 0.2), 10 ** Math.ceil(Math.max(...logs) + 0.2)];
}

/**
 * The heat strip's y axis. A bounded activation (tanh, sigmoid, scaled tanh) is shown as it is, on
 * its fixed range; an unbounded one (ReLU, SELU, ...) has no range to fix, so its values are divided
 * by their std at layer 1 and shown on [−3, 3] of those units. ``heatNote`` says so in words. With several draws the
 * histograms are pooled over them.
 */
export const heatLabel = (h) => (h.bounded ? "a = f(z)" : "a / std(a at layer 1)");
export const heatNote = (h, activation) => (h.bounded
  ? `y: a on ${activation}'s whole range [${h.lo}, ${h.hi}]`
  : `y: a ÷ its std at layer 1 (${activation} has no fixed range)`);

export function drawHeat(canvas, colors, sim) {
  const h = sim.act_hist, depth = sim.depth;
  const { ctx, X, Y } = frame(canvas, colors, { xmin: 0.5, xmax: depth + 0.5, ymin: h.lo, ymax: h.hi,
    ylabel: heatLabel(h), yticks: [h.lo, (h.lo + h.hi) / 2, h.hi] });
  const dy = (h.hi - h.lo) / BINS;
  h.counts.forEach((counts, l) => {
    counts.forEach((c, b) => {
      const [r, g, bl] = magma((Math.log10(c + 1e-3) + 3) / 3);
      ctx.fillStyle = `rgb(${r},${g},${bl})`;
      const x0 = X(l + 0.5), x1 = X(l + 1.5), y0 = Y(h.lo + (b + 1) * dy), y1 = Y(h.lo + b * dy);
      ctx.fillRect(x0, y0, x1 - x0 + 0.5, y1 - y0 + 0.5);
    });
  });
}

/**
 * The std panel's log-axis limits: whole decades around ``shown`` (the finite positive stds), and,
 * while a slider is being moved (``hold``, the limits of its previous picture), never narrower than
 * before, so that a sweep moves the curves against a fixed axis instead of rescaling it.
 *
 * >>> stdLimits([0.5, 3]) -> [0.1, 10]; stdLimits([0.5, 3], [1e-3, 10]) -> [1e-3, 10]
 */
export function stdLimits(shown, hold = null) {
  const [lo, hi] = shown.length ? decades(shown) : [0.1, 10];
  return hold ? [Math.min(lo, hold[0]), Math.max(hi, hold[1])] : [lo, hi];
}

/** Fill the band between ``lo`` and ``hi`` per layer, over each stretch of layers where ``hi`` is
 * shown; a ``lo`` of 0 (a draw whose signal died) reaches down to the axis' ``floor``. */
function band(ctx, X, Y, lo, hi, color, ok, floor) {
  lo = lo.map((y) => (y <= 0 ? floor : y));
  ctx.fillStyle = color; ctx.globalAlpha = 0.22;
  let run = [];
  const flush = () => {
    if (run.length) {
      ctx.beginPath();
      run.forEach((l, i) => (i ? ctx.lineTo(X(l + 1), Y(hi[l])) : ctx.moveTo(X(l + 1), Y(hi[l]))));
      [...run].reverse().forEach((l) => ctx.lineTo(X(l + 1), Y(lo[l])));
      ctx.closePath(); ctx.fill();
    }
    run = [];
  };
  lo.forEach((_, l) => { if (ok(lo[l]) && ok(hi[l])) run.push(l); else flush(); });  // skips Infinity
  flush();
  ctx.globalAlpha = 1;
}

export function drawStd(canvas, colors, sim, theory, hold = null, range = null) {
  const keep = (y) => Number.isFinite(y) && y > 0 && y < 1e300;
  const series = [sim.pre_std, sim.grad_std, theory.pre_std, theory.grad_std];
  if (range) series.push(range.pre_std.lo, range.pre_std.hi, range.grad_std.lo, range.grad_std.hi);
  const shown = series.flat().filter(keep);
  const [ymin, ymax] = stdLimits(shown, hold);
  const yticks = [];
  const span = Math.round(Math.log10(ymax / ymin)), every = Math.max(1, Math.ceil(span / 5));
  for (let e = Math.round(Math.log10(ymin)); e <= Math.log10(ymax) + 1e-9; e += every) yticks.push(10 ** e);
  const { ctx, X, Y, pad, pw } = frame(canvas, colors, { xmin: 0.5, xmax: sim.depth + 0.5, ymin, ymax, log: true,
    ylabel: "std (log scale)", yticks });
  if (range) {
    band(ctx, X, Y, range.pre_std.lo, range.pre_std.hi, colors.fwd, keep, ymin);
    band(ctx, X, Y, range.grad_std.lo, range.grad_std.hi, colors.bwd, keep, ymin);
  }
  line(ctx, X, Y, theory.pre_std, colors.theory, { dash: [2, 3], ok: keep });
  line(ctx, X, Y, theory.grad_std, colors.theory, { dash: [2, 3], ok: keep });
  line(ctx, X, Y, sim.pre_std, colors.fwd, { marker: true, ok: keep });
  line(ctx, X, Y, sim.grad_std, colors.bwd, { marker: true, ok: keep });
  const notes = [];
  if (sim.overflow_layer !== null) {
    ctx.strokeStyle = colors.alert; ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(X(sim.overflow_layer), pad.t); ctx.lineTo(X(sim.overflow_layer), Y(ymin)); ctx.stroke();
    notes.push(`overflow at layer ${sim.overflow_layer}`);
  }
  if (!shown.length) notes.push("every std is 0");
  ctx.fillStyle = colors.alert; ctx.textAlign = "right"; ctx.textBaseline = "top";
  notes.forEach((n, i) => ctx.fillText(n, pad.l + pw - 4, pad.t + 4 + 15 * i));
  return [ymin, ymax];
}

export function drawFractions(canvas, colors, sim) {
  const { ctx, X, Y } = frame(canvas, colors, { xmin: 0.5, xmax: sim.depth + 0.5, ymin: -0.03, ymax: 1.03,
    ylabel: "fraction of units", yticks: [0, 0.5, 1] });
  line(ctx, X, Y, sim.saturation, colors.sat);
  line(ctx, X, Y, sim.dead, colors.dead, { dash: [6, 3] });
}

// ---------------------------------------------------------------------------------------------
// The explorer

const html = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const scaleLabel = (v) => "× " + pyFormat(v, ".3g");

export class Explorer {
  /**
   * @param {HTMLElement} root an element with class initlab-explorer and a data-config
   * @param {{workerUrl?: string|URL, hash?: boolean}} options where worker.js is (default: beside
   *   this module); ``hash: false`` keeps the state out of the URL (in a notebook, whose URL is not ours)
   */
  constructor(root, { workerUrl = null, hash = true } = {}) {
    this.root = root;
    this.useHash = hash;
    this.id = root.id || "explorer";
    const config = JSON.parse(root.dataset.config || "{}");
    this.presets = config.presets || [];
    this.start = checkState(config.state || {});
    this.draws = checkDraws(config.draws === undefined ? 1 : config.draws);
    this.timings = [];
    this.runner = new Runner(workerUrl);
    this.build();
    const fromHash = this.hashState();
    this.state = fromHash || this.start;
    this.showControls();
    this.ready = this.update({ scroll: Boolean(fromHash) });
    if (hash) window.addEventListener("hashchange", () => { const s = this.hashState(); if (s) this.set(s, { hash: false }); });
    new MutationObserver(() => this.redraw()).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (window.ResizeObserver) new ResizeObserver(() => this.redraw()).observe(this.panels);
  }

  hashState() {
    const prefix = `#${this.id}:`;
    if (!this.useHash || !location.hash.startsWith(prefix)) return null;
    try { return decodeState(location.hash.slice(prefix.length)); } catch (e) { return null; }
  }

  build() {
    const id = this.id;
    const option = (v, list) => list.map((x) => `<option value="${x}"${x === v ? " selected" : ""}>${x}</option>`).join("");
    const presetButtons = (kind) => this.presets.filter((p) => p.kind === kind).map((p, i) =>
      `<button type="button" class="ilx-preset ilx-${kind}" data-preset="${this.presets.indexOf(p)}">${html(p.label)}</button>`).join("");
    const live = document.createElement("div");
    live.className = "ilx-live";
    live.innerHTML = `
      <div class="ilx-controls">
        <label>initializer <select name="init">${option(this.start.init, INITS)}</select></label>
        <label>activation <select name="activation">${option(this.start.activation, ACTIVATIONS)}</select></label>
        <label>depth <input type="range" name="depth" min="${LIMITS.depth[0]}" max="${LIMITS.depth[1]}" step="1"><output></output></label>
        <label>width <input type="range" name="width" min="${LIMITS.width[0]}" max="${LIMITS.width[1]}" step="4"><output></output></label>
        <label>weight scale <input type="range" name="scale" min="-2" max="2" step="0.01"><output></output></label>
        <label>batch <select name="batch">${option(this.start.batch, BATCHES)}</select></label>
        <button type="button" class="ilx-resample" title="draw new random weights and inputs">${this.draws > 1 ? `${this.draws} new random draws` : "new random draw"}</button>
      </div>
      <div class="ilx-presets" role="group" aria-label="presets">
        ${this.presets.some((p) => p.kind === "break") ? `<span class="ilx-preset-label">Break it:</span>${presetButtons("break")}` : ""}
        ${this.presets.some((p) => p.kind === "fix") ? `<span class="ilx-preset-label">Fix it:</span>${presetButtons("fix")}` : ""}
      </div>
      <p class="ilx-verdict" role="status" aria-live="polite" aria-atomic="true"></p>
      <p class="ilx-rule">Verdict rule: ${html(VERDICT_RULE)}.${this.draws > 1
        ? ` With ${this.draws} draws, the verdict reads their median line.` : ""}</p>
      <div class="ilx-panels">
        <figure class="ilx-panel"><figcaption id="${id}-heat-title">activations per layer (histogram; brighter = more units)<br><span class="ilx-heat-note"></span></figcaption>
          <canvas class="ilx-heat" role="img" aria-labelledby="${id}-heat-title"></canvas></figure>
        <figure class="ilx-panel"><figcaption><span class="ilx-key ilx-key-fwd">forward: std(z)</span>
          <span class="ilx-key ilx-key-bwd">backward: std(∂L/∂z)</span> <span class="ilx-key ilx-key-theory">theory</span>${this.draws > 1
          ? `<br><span class="ilx-key ilx-key-band">median and range over ${this.draws} draws</span>` : ""}</figcaption>
          <canvas class="ilx-std" role="img"></canvas></figure>
        <figure class="ilx-panel"><figcaption><span class="ilx-key ilx-key-sat">saturated (bounded act.)</span>
          <span class="ilx-key ilx-key-dead">dead ReLUs</span></figcaption>
          <canvas class="ilx-frac" role="img"></canvas></figure>
      </div>
      <p class="ilx-status" aria-live="off"></p>`;
    const caption = this.root.querySelector(".initlab-explorer-caption");
    this.root.insertBefore(live, caption);
    this.root.classList.add("ilx-ready");
    this.controls = Object.fromEntries([...live.querySelectorAll("[name]")].map((el) => [el.name, el]));
    this.verdictEl = live.querySelector(".ilx-verdict");
    this.statusEl = live.querySelector(".ilx-status");
    this.panels = live.querySelector(".ilx-panels");
    this.canvases = { heat: live.querySelector(".ilx-heat"), std: live.querySelector(".ilx-std"), frac: live.querySelector(".ilx-frac") };
    for (const [name, el] of Object.entries(this.controls)) {
      el.addEventListener(el.tagName === "SELECT" ? "change" : "input", () => this.fromControl(name));
      // While a slider moves, an explorer with several draws shows one (fast); when it is let go
      // (or after each arrow key), the median and range of all the draws follow.
      if (el.type === "range") el.addEventListener("change", () => this.settle());
    }
    this.heatNoteEl = live.querySelector(".ilx-heat-note");
    live.querySelector(".ilx-resample").addEventListener("click", () => this.set({ seed: this.state.seed + this.draws }));
    live.querySelectorAll(".ilx-preset").forEach((b) => b.addEventListener("click", () => this.preset(+b.dataset.preset)));
  }

  fromControl(name) {
    const el = this.controls[name];
    this.sweeping = el.type === "range" ? name : null;   // a slider keeps the std axis while it moves
    this.dragging = this.draws > 1 && el.type === "range";
    let value = el.value;
    if (name === "scale") value = Number(pyFormat(10 ** Number(value), ".3g"));
    return this.set({ [name]: value });
  }

  /** Show the state in the controls (without firing their events). */
  showControls() {
    const s = this.state, c = this.controls;
    c.init.value = s.init; c.activation.value = s.activation; c.batch.value = String(s.batch);
    c.depth.value = s.depth; c.width.value = s.width; c.scale.value = Math.log10(s.scale).toFixed(2);
    c.depth.nextElementSibling.value = String(s.depth);
    c.width.nextElementSibling.value = String(s.width);
    c.scale.nextElementSibling.value = scaleLabel(s.scale);
    c.scale.setAttribute("aria-valuetext", `weights multiplied by ${pyFormat(s.scale, ".3g")}`);
  }

  /** Apply preset ``i``: a whole scenario, the starting state with the preset's settings on top
   * (so it shows the same picture whatever the reader did before, the starting seed included). */
  preset(i) {
    return this.set({ ...this.start, ...this.presets[i].set });
  }

  /** Change some settings; returns a promise that resolves when the picture shows them. */
  set(changes, { hash = true } = {}) {
    if (this.sweeping && !(Object.keys(changes).length === 1 && this.sweeping in changes)) this.sweeping = null;
    if (!this.sweeping) this.dragging = false;            // a button or menu always shows every draw
    this.state = checkState({ ...this.state, ...changes });
    this.showControls();
    if (hash && this.useHash) history.replaceState(null, "", `#${this.id}:${encodeState(this.state)}`);
    return this.update();
  }

  /** Compute the current state and draw it; a burst of calls computes only the last state. */
  update({ scroll = false } = {}) {
    const t0 = performance.now();
    this.pending = { ...this.state };
    if (!this.busy) this.busy = this.loop();
    return this.busy.then(() => {
      if (scroll) this.root.scrollIntoView();
      return performance.now() - t0;
    });
  }

  /** A slider was let go: show all the draws of the state a moving slider showed one draw of. */
  settle() {
    if (!this.dragging) return undefined;
    this.dragging = false;
    return this.update();
  }

  async loop() {
    while (this.pending) {
      const state = this.pending, t0 = performance.now(), draws = this.dragging ? 1 : this.draws;
      this.pending = null;
      this.root.setAttribute("aria-busy", "true");
      try {
        const result = await this.runner.run(state, draws);
        this.result = { state, ...result };
        const t1 = performance.now();
        this.redraw();
        const t2 = performance.now();
        this.timings.push({ compute: result.compute, draw: t2 - t1, update: t2 - t0 });
        this.statusEl.textContent = `computed in your browser in ${Math.round(result.compute)} ms`
          + `${draws < this.draws ? " (1 draw while the slider moves; let go for all " + this.draws + ")"
            : this.draws > 1 ? ` (${this.draws} draws)` : ""}, drawn in ${Math.round(t2 - t1)} ms`;
      } catch (e) {
        this.verdictEl.textContent = `cannot run this network here: ${e.message}`;
        this.verdictEl.className = "ilx-verdict ilx-bad";
      }
      this.root.removeAttribute("aria-busy");
    }
    this.busy = null;
  }

  redraw() {
    if (!this.result) return;
    const { sim, theory, band: range, verdict: text } = this.result;
    const colors = palette(this.root);
    drawHeat(this.canvases.heat, colors, sim);
    const note = heatNote(sim.act_hist, sim.activation);
    if (this.heatNoteEl.textContent !== note) this.heatNoteEl.textContent = note;
    const hold = this.sweeping && this.held && this.held.control === this.sweeping ? this.held.limits : null;
    this.held = { control: this.sweeping, limits: drawStd(this.canvases.std, colors, sim, theory, hold, range) };
    drawFractions(this.canvases.frac, colors, sim);
    if (this.verdictEl.textContent !== text) this.verdictEl.textContent = text;
    this.verdictEl.className = "ilx-verdict " + (text.startsWith("healthy") ? "ilx-good" : "ilx-bad");
    const last = sim.depth - 1, f = (v) => (Number.isFinite(v) ? pyFormat(v, ".2g") : "infinite");
    this.canvases.std.setAttribute("aria-label", `Per-layer std${range ? ` (median of ${this.draws} draws)` : ""}: forward from ${f(sim.pre_std[0])} at layer 1 to ${f(sim.pre_std[last])} `
      + `at layer ${sim.depth}; backward from ${f(sim.grad_std[last])} at layer ${sim.depth} to ${f(sim.grad_std[0])} at layer 1.`);
    this.canvases.frac.setAttribute("aria-label", `At layer ${sim.depth}: ${pyFormat(sim.saturation[last], ".0%")} saturated, `
      + `${pyFormat(sim.dead[last], ".0%")} of units dead.`);
    this.root.dataset.verdict = text;
  }
}

/** Start every explorer under ``root`` that is not running yet. */
export function bootExplorers(root = document) {
  return [...root.querySelectorAll(".initlab-explorer:not(.ilx-ready)")].map((el) => {
    const explorer = new Explorer(el);
    el.initlabExplorer = explorer;
    return explorer;
  });
}
