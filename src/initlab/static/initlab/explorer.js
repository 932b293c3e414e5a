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
 * and a verdict line in an ARIA live region. Every change runs ``simulate`` in a worker (the page
 * stays responsive while a slider is dragged; a burst of changes computes only the latest) and
 * redraws by hand on canvas: no plotting library, a few hundred lines instead of a dependency.
 * The state lives in the URL hash, ``#<id>:init=zeros&scale=1&...``, so a link reopens it.
 */

import { activationName, ACTIVATIONS, BOUNDED_RANGE } from "./activations.js";
import { initializerName } from "./initializers.js";
import { sizeCanvas } from "./canvas.js";
import { hashCodec } from "./hashstate.js";
import { pyFormat } from "./pyformat.js";
import { Simulator } from "./simulate.js";
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

/** Run one state: the simulation, the theory and the verdict (in the worker, or here). */
export function compute(simulator, s) {
  const t0 = performance.now();
  const sim = simulator.run({ depth: s.depth, width: s.width, batch: s.batch, activation: s.activation,
    init: s.init, scale: s.scale, seed: s.seed, bins: BINS });
  const theory = predictVariance({ depth: s.depth, width: s.width, activation: s.activation, init: s.init, scale: s.scale });
  return { sim, theory, verdict: verdict(sim), compute: performance.now() - t0 };
}

/** Computes states off the main thread when it can; ``run(state)`` resolves to compute()'s result.
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
    this.simulator = this.simulator || new Simulator();
    for (const [id, { state }] of this.queue) setTimeout(() => this.local(id, state));
  }

  local(id, state) {
    try {
      this.settle({ id, ...compute(this.simulator, state) });
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

  run(state) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.queue.set(id, { state, resolve, reject });
      if (this.worker) this.worker.postMessage({ id, state });
      else setTimeout(() => this.local(id, state));
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

export function drawHeat(canvas, colors, sim) {
  const h = sim.act_hist, depth = sim.depth;
  const { ctx, X, Y } = frame(canvas, colors, { xmin: 0.5, xmax: depth + 0.5, ymin: h.lo, ymax: h.hi,
    ylabel: h.bounded ? "a = f(z)" : "a / std(a at layer 1)", yticks: [h.lo, (h.lo + h.hi) / 2, h.hi] });
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

export function drawStd(canvas, colors, sim, theory, hold = null) {
  const keep = (y) => Number.isFinite(y) && y > 0 && y < 1e300;
  const series = [sim.pre_std, sim.grad_std, theory.pre_std, theory.grad_std];
  const shown = series.flat().filter(keep);
  const [ymin, ymax] = stdLimits(shown, hold);
  const yticks = [];
  const span = Math.round(Math.log10(ymax / ymin)), every = Math.max(1, Math.ceil(span / 5));
  for (let e = Math.round(Math.log10(ymin)); e <= Math.log10(ymax) + 1e-9; e += every) yticks.push(10 ** e);
  const { ctx, X, Y, pad, pw } = frame(canvas, colors, { xmin: 0.5, xmax: sim.depth + 0.5, ymin, ymax, log: true,
    ylabel: "std (log scale)", yticks });
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
        <button type="button" class="ilx-resample" title="draw new random weights and inputs">new random draw</button>
      </div>
      <div class="ilx-presets" role="group" aria-label="presets">
        ${this.presets.some((p) => p.kind === "break") ? `<span class="ilx-preset-label">Break it:</span>${presetButtons("break")}` : ""}
        ${this.presets.some((p) => p.kind === "fix") ? `<span class="ilx-preset-label">Fix it:</span>${presetButtons("fix")}` : ""}
      </div>
      <p class="ilx-verdict" role="status" aria-live="polite" aria-atomic="true"></p>
      <p class="ilx-rule">Verdict rule: ${html(VERDICT_RULE)}.</p>
      <div class="ilx-panels">
        <figure class="ilx-panel"><figcaption id="${id}-heat-title">activations per layer (histogram; brighter = more units)</figcaption>
          <canvas class="ilx-heat" role="img" aria-labelledby="${id}-heat-title"></canvas></figure>
        <figure class="ilx-panel"><figcaption><span class="ilx-key ilx-key-fwd">forward: std(z)</span>
          <span class="ilx-key ilx-key-bwd">backward: std(∂L/∂z)</span> <span class="ilx-key ilx-key-theory">theory</span></figcaption>
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
    }
    live.querySelector(".ilx-resample").addEventListener("click", () => this.set({ seed: this.state.seed + 1 }));
    live.querySelectorAll(".ilx-preset").forEach((b) => b.addEventListener("click", () => this.set(this.presets[+b.dataset.preset].set)));
  }

  fromControl(name) {
    const el = this.controls[name];
    this.sweeping = el.type === "range" ? name : null;   // a slider keeps the std axis while it moves
    let value = el.value;
    if (name === "scale") value = Number(pyFormat(10 ** Number(value), ".3g"));
    this.set({ [name]: value });
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

  /** Change some settings; returns a promise that resolves when the picture shows them. */
  set(changes, { hash = true } = {}) {
    if (this.sweeping && !(Object.keys(changes).length === 1 && this.sweeping in changes)) this.sweeping = null;
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

  async loop() {
    while (this.pending) {
      const state = this.pending, t0 = performance.now();
      this.pending = null;
      this.root.setAttribute("aria-busy", "true");
      try {
        const result = await this.runner.run(state);
        this.result = { state, ...result };
        const t1 = performance.now();
        this.redraw();
        const t2 = performance.now();
        this.timings.push({ compute: result.compute, draw: t2 - t1, update: t2 - t0 });
        this.statusEl.textContent = `computed in your browser in ${Math.round(result.compute)} ms, drawn in ${Math.round(t2 - t1)} ms`;
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
    const { sim, theory, verdict: text } = this.result;
    const colors = palette(this.root);
    drawHeat(this.canvases.heat, colors, sim);
    const hold = this.sweeping && this.held && this.held.control === this.sweeping ? this.held.limits : null;
    this.held = { control: this.sweeping, limits: drawStd(this.canvases.std, colors, sim, theory, hold) };
    drawFractions(this.canvases.frac, colors, sim);
    if (this.verdictEl.textContent !== text) this.verdictEl.textContent = text;
    this.verdictEl.className = "ilx-verdict " + (text.startsWith("healthy") ? "ilx-good" : "ilx-bad");
    const last = sim.depth - 1, f = (v) => (Number.isFinite(v) ? pyFormat(v, ".2g") : "infinite");
    this.canvases.std.setAttribute("aria-label", `Per-layer std: forward from ${f(sim.pre_std[0])} at layer 1 to ${f(sim.pre_std[last])} `
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
