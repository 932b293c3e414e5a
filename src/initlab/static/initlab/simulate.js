/**
 * ``simulate``: a deep fully connected network run forward and backward in the page, with the
 * definitions of ``initlab.propagation.simulate``.
 *
 * For l = 1..depth, z_l = a_{l−1}·(scale·W_l) and a_l = f(z_l), with a_0 = x ~ N(0, 1), zero bias
 * and W_l drawn by the initializer. The backward pass starts from ∂L/∂a_L = g_L ~ N(0, 1) and applies
 * ∂L/∂z_l = ∂L/∂a_l ⊙ f'(z_l) and ∂L/∂a_{l−1} = ∂L/∂z_l·(scale·W_l)ᵀ. Both passes are float32.
 * Per layer it reports the std of z_l, the std and mean of a_l, the std of ∂L/∂z_l, the fraction
 * of saturated values (bounded activations: |scaled output| above SATURATION_THRESHOLD) and of dead
 * ReLU units (z ≤ 0 for the whole batch).
 *
 * Overflow is a result, not an error, as in Python: if z_l reaches ±Infinity or NaN the run stops,
 * the statistics of layers l..depth are Infinity and every grad_std is Infinity; a backward
 * overflow at layer l makes grad_std of layers 1..l Infinity.
 *
 * The same seed gives the same numbers in every browser. The weights of layer l come from their
 * own random stream (seed, l), x and g_L from two more, so a deeper network keeps the layers it
 * had, and a ``Simulator`` keeps the sampled network while only scale, activation or batch change.
 *
 * >>> const sim = simulate({depth: 30, width: 256, activation: "relu", init: "glorot_normal", seed: 0});
 * >>> sim.pre_std[29] / sim.pre_std[0] < 1e-3   // He et al. (2015): Xavier halves E[z²] per ReLU layer
 */

import { activationName, BOUNDED, BOUNDED_RANGE, LEAKY_SLOPE, LECUN_TANH_A, SATURATION_THRESHOLD,
  SELU_ALPHA, SELU_LAMBDA } from "./activations.js";
import { checkInt, checkKeys, checkPositive, describe } from "./errors.js";
import { fillWeights, initializerName } from "./initializers.js";
import { Heap } from "./kernels.js";
import { pyFormat } from "./pyformat.js";
import { Rng } from "./rng.js";

/** ``simulate`` refuses runs whose arrays would need more memory than this, as Python's MAX_BYTES. */
export const MAX_BYTES = 2 ** 30;
const STREAM_X = 0xfffffff0, STREAM_G = 0xfffffff1;   // layer l uses stream l
const KEYS = ["depth", "width", "batch", "activation", "init", "scale", "seed", "x", "weights", "g", "bins"];
const ceil4 = (n) => (n + 3) & ~3;

/** The ratio of two stds, null when undefined (0/0, ∞/∞), as ``propagation._ratio``. */
export function ratio(num, den) {
  if ((num === 0 && den === 0) || (num === Infinity && den === Infinity)) return null;
  return den === 0 ? Infinity : num / den;
}

/** Check and complete the options of ``simulate``. */
function settings(options) {
  checkKeys("simulate", options, KEYS);
  const o = { depth: 30, width: 256, batch: 256, activation: "relu", init: "he_normal", scale: 1, bins: 0, ...options };
  checkInt("depth", o.depth, 1);
  checkInt("width", o.width, 1);
  checkInt("batch", o.batch, 2);
  checkInt("bins", o.bins, 0, 1000);
  o.activation = activationName(o.activation);
  o.init = initializerName(o.init);
  checkPositive("scale", o.scale, "a multiplier on the weights");
  if (o.seed === undefined || o.seed === null) o.seed = Math.floor(Math.random() * 2 ** 32);
  checkInt("seed", o.seed, 0, Number.MAX_SAFE_INTEGER);
  const need = 4 * (o.depth * o.width * o.width + o.batch * o.depth * o.width + 4 * o.batch * o.width);
  if (need > MAX_BYTES) {
    throw new RangeError(`this run would need about ${Math.round(need / 2 ** 20)} MiB (limit MAX_BYTES = `
                         + `${MAX_BYTES / 2 ** 20} MiB); reduce depth, width or batch`);
  }
  return o;
}

/** Copy a (rows × cols) matrix, given as nested arrays or one flat array, into the heap. */
function copyMatrix(name, value, rows, cols, f, offset, stride) {
  const nested = Array.isArray(value) && Array.isArray(value[0]);
  const flat = !nested && value && typeof value.length === "number" && value.length === rows * cols;
  if (!(nested && value.length === rows && value.every((r) => r.length === cols)) && !flat) {
    throw new TypeError(`${name} must be a ${rows} × ${cols} matrix: ${rows} arrays of ${cols} numbers, `
                        + `or one array of ${rows * cols} numbers; got ${describe(value)}`);
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = nested ? value[i][j] : value[i * cols + j];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new TypeError(`${name} must hold finite numbers; got ${describe(v)} at row ${i}, column ${j}`);
      }
      f[offset + i * stride + j] = v;
    }
  }
}

/** Mean and population std of the real entries (rows × n, stride S) of f from offset, or null. */
function moments(f, offset, rows, n, S) {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const o = offset + i * S;
    for (let j = 0; j < n; j++) sum += f[o + j];
  }
  if (!Number.isFinite(sum)) return null;      // an Infinity or NaN among the values
  const mean = sum / (rows * n);
  let ss = 0;
  for (let i = 0; i < rows; i++) {
    const o = offset + i * S;
    for (let j = 0; j < n; j++) { const d = f[o + j] - mean; ss += d * d; }
  }
  return [mean, Math.sqrt(ss / (rows * n))];
}

const LAMBDA32 = Math.fround(SELU_LAMBDA), LA32 = Math.fround(SELU_LAMBDA * SELU_ALPHA), A32 = Math.fround(LECUN_TANH_A);

/**
 * Apply f in place to the real entries of z (the float32 pre-activations), write what the backward
 * pass multiplies by into d (f'(z), or the 0/1 mask of ReLU), and return [saturated values, dead units].
 */
function activateLayer(name, f, z, d, rows, n, S) {
  let saturated = 0, dead = 0;
  if (name === "relu") {
    const alive = new Uint8Array(n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0, o = z + i * S; j < n; j++, o++) {
        const on = f[o] > 0;
        if (on) alive[j] = 1; else f[o] = 0;
        f[d + i * S + j] = on ? 1 : 0;
      }
    }
    for (let j = 0; j < n; j++) dead += 1 - alive[j];
    return [0, dead];
  }
  const thr = SATURATION_THRESHOLD[name], cut = thr ? Math.fround(1 - thr * thr) : 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0, o = z + i * S, od = d + i * S; j < n; j++, o++, od++) {
      const v = f[o];
      switch (name) {
        case "linear": f[od] = 1; break;
        case "leaky_relu": f[od] = v > 0 ? 1 : LEAKY_SLOPE; f[o] = v > 0 ? v : LEAKY_SLOPE * v; break;
        case "selu": { // in float32 step by step, as numpy: e^z − 1 is 0 for |z| < 3e-8
          const e = Math.fround(Math.exp(Math.min(v, 0)));
          f[od] = v > 0 ? LAMBDA32 : e * LA32;
          f[o] = Math.fround(Math.max(v, 0) * LAMBDA32) + Math.fround(Math.fround(e - 1) * LA32);
          break;
        }
        default: { // tanh, scaled_tanh, sigmoid: f = A·t + offset, t = tanh(c·z), f' = k·(1 − t²)
          // in float32 step by step, as numpy computes it (1 − t² is coarse where t is near ±1)
          const [c, k] = BOUNDED[name];
          const t = Math.fround(Math.tanh(Math.fround(c * v)));
          const slope = Math.fround(1 - Math.fround(t * t));
          if (slope < cut) saturated++;
          f[od] = Math.fround(k) * slope;
          f[o] = name === "tanh" ? t : name === "scaled_tanh" ? A32 * t : Math.fround(t + 1) * 0.5;
        }
      }
    }
  }
  return [saturated, dead];
}

/** Per-layer histograms of the activations, as fractions per bin (the explorer's heat strip). */
function histogram(f, a, rows, n, S, bins, lo, hi, unit) {
  const counts = new Float64Array(bins), width = (hi - lo) / bins;
  for (let i = 0; i < rows; i++) {
    for (let j = 0, o = a + i * S; j < n; j++, o++) {
      const b = Math.floor((f[o] / unit - lo) / width);
      counts[b < 0 ? 0 : b >= bins ? bins - 1 : b] += 1;
    }
  }
  return counts.map((c) => c / (rows * n));
}

/**
 * A simulator that keeps its memory and the last sampled network between runs. ``simulate`` uses
 * one shared instance; the explorer's worker has its own.
 */
export class Simulator {
  constructor(heapOptions) {
    this.heap = new Heap(heapOptions);
    this.key = null;        // (seed, init, width) of the weights in memory
    this.layers = 0;        // how many layers of them
  }

  /** Sample (or copy) the weights of layers [0, depth) into the heap's first region. */
  prepareWeights(o, S) {
    const f = this.heap.f32, block = S * S;
    if (o.weights !== undefined) {
      if (!Array.isArray(o.weights) || o.weights.length !== o.depth) {
        throw new TypeError(`weights must be a list of ${o.depth} matrices of shape (${o.width}, ${o.width}), `
                            + `got ${describe(o.weights)}`);
      }
      f.fill(0, 0, o.depth * block);
      o.weights.forEach((w, l) => copyMatrix(`weights[${l}]`, w, o.width, o.width, f, l * block, S));
      this.key = null;
      return;
    }
    const key = `${o.seed}/${o.init}/${o.width}`;
    if (key !== this.key) { this.key = key; this.layers = 0; }
    for (let l = this.layers; l < o.depth; l++) {
      f.fill(0, l * block, (l + 1) * block);
      fillWeights(o.init, o.width, o.width, new Rng(o.seed, l), f, S, l * block);
    }
    this.layers = Math.max(this.layers, o.depth);
  }

  run(options = {}) {
    const o = settings(options);
    const { depth, width: n, batch } = o, S = ceil4(n), R = ceil4(batch);
    const block = S * S, sig = R * S;                       // floats per weight matrix, per signal
    const W0 = 0, X = depth * block, A1 = X + sig, G0 = A1 + sig, G1 = G0 + sig, D = G1 + sig;
    this.heap.reserve(4 * (D + depth * sig));
    this.prepareWeights(o, S);
    const f = this.heap.f32;
    f.fill(0, X, D);                                        // the padding of every signal is 0
    if (o.x !== undefined) copyMatrix("x", o.x, batch, n, f, X, S);
    else fillNormal(f, X, batch, n, S, new Rng(o.seed, STREAM_X));

    const stats = Object.fromEntries(["pre_std", "act_std", "act_mean", "grad_std", "saturation", "dead"]
      .map((k) => [k, new Array(depth).fill(Infinity)]));
    const hist = o.bins ? { counts: [], ...histRange(o.activation) } : null;
    let overflow = null, gradOverflow = null, inp = X, out = A1;
    for (let l = 0; l < depth; l++) {
      this.heap.mm(4 * inp, 4 * (W0 + l * block), 4 * out, R, S, o.scale);
      const m = moments(f, out, batch, n, S);
      if (m === null) { overflow = l + 1; break; }
      stats.pre_std[l] = m[1];
      const [saturated, dead] = activateLayer(o.activation, f, out, D + l * sig, batch, n, S);
      const ma = o.activation === "linear" ? m : moments(f, out, batch, n, S);
      [stats.act_mean[l], stats.act_std[l]] = ma;
      stats.saturation[l] = saturated / (batch * n);
      stats.dead[l] = dead / n;
      if (hist) {
        if (l === 0 && !BOUNDED_RANGE[o.activation] && ma[1] > 0) hist.unit = ma[1];
        hist.counts.push(histogram(f, out, batch, n, S, o.bins, hist.lo, hist.hi, hist.unit));
      }
      [inp, out] = [out, inp];
    }
    if (overflow === null) {
      if (o.g !== undefined) copyMatrix("g", o.g, batch, n, f, G0, S);
      else fillNormal(f, G0, batch, n, S, new Rng(o.seed, STREAM_G));
      let g = G0, other = G1;
      for (let l = depth - 1; l >= 0; l--) {
        if (l < depth - 1) {
          this.heap.mmT(4 * g, 4 * (W0 + (l + 1) * block), 4 * other, R, S, o.scale);
          [g, other] = [other, g];
        }
        if (o.activation !== "linear") multiplyInPlace(f, g, D + l * sig, batch, n, S);
        const m = moments(f, g, batch, n, S);
        if (m === null) { gradOverflow = l + 1; break; }
        stats.grad_std[l] = m[1];
      }
    }
    if (hist) while (hist.counts.length < depth) hist.counts.push(new Float64Array(o.bins));
    return result(o, stats, overflow, gradOverflow, hist);
  }
}

function fillNormal(f, offset, rows, n, S, rng) {
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) f[offset + i * S + j] = rng.normal();
}

function multiplyInPlace(f, g, d, rows, n, S) {
  for (let i = 0; i < rows; i++) {
    for (let j = 0, o = g + i * S, od = d + i * S; j < n; j++, o++, od++) f[o] *= f[od];
  }
}

function histRange(activation) {
  const [lo, hi] = BOUNDED_RANGE[activation] || [-3, 3];
  return { lo, hi, unit: 1, bounded: Boolean(BOUNDED_RANGE[activation]) };
}

function result(o, stats, overflow, gradOverflow, hist) {
  const { depth } = o, last = depth - 1;
  let message;
  if (overflow !== null) {
    message = `overflow at layer ${overflow}: the pre-activations reached inf/NaN in float32; `
              + `layers ${overflow}-${depth} and all gradients are reported as inf`;
  } else if (gradOverflow !== null) {
    message = `gradient overflow at layer ${gradOverflow}: the backward pass reached inf/NaN in float32; `
              + `grad_std of layers 1-${gradOverflow} is reported as inf`;
  } else {
    const fmt = (v) => (v === null ? "undefined (0/0)" : pyFormat(v, ".3g"));
    message = `ok: pre-activation std ratio last/first = ${fmt(ratio(stats.pre_std[last], stats.pre_std[0]))}, `
              + `gradient std ratio first/last = ${fmt(ratio(stats.grad_std[0], stats.grad_std[last]))}`;
  }
  return {
    depth, width: o.width, batch: o.batch, activation: o.activation, init: o.init, scale: o.scale, seed: o.seed,
    ...stats, overflow_layer: overflow, grad_overflow_layer: gradOverflow, message,
    ratio: ratio(stats.pre_std[last], stats.pre_std[0]),
    act_ratio: ratio(stats.act_std[last], stats.act_std[0]),
    grad_ratio: ratio(stats.grad_std[0], stats.grad_std[last]),
    ...(hist ? { act_hist: hist } : {}),
  };
}

/**
 * The weight matrices W_1..W_L of a network with ``widths`` [n_0, ..., n_L], as Python's
 * ``sample_weights``: a list of Float32Arrays, W_l row by row (n_{l−1} × n_l). For the same seed
 * they are the matrices ``simulate`` draws for a network of equal widths.
 */
export function sampleWeights(options = {}) {
  checkKeys("sampleWeights", options, ["widths", "init", "seed"]);
  const { widths, init = "he_normal" } = options;
  if (!Array.isArray(widths) || widths.length < 2) {
    throw new TypeError(`widths must be a list of at least 2 positive integers [n_0, n_1, ...], got ${describe(widths)}`);
  }
  widths.forEach((n) => checkInt("each of widths", n, 1));
  const name = initializerName(init);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  checkInt("seed", seed, 0, Number.MAX_SAFE_INTEGER);
  return widths.slice(1).map((m, l) => {
    const out = new Float32Array(widths[l] * m);
    fillWeights(name, widths[l], m, new Rng(seed, l), out);
    return out;
  });
}

let shared = null;

/**
 * Run the network once; options ``{depth = 30, width = 256, batch = 256, activation = "relu",
 * init = "he_normal", scale = 1, seed}`` as in Python (no seed: a fresh random one), plus
 * optionally ``x`` (batch × width), ``weights`` (depth matrices width × width) and ``g`` (the
 * output gradient, batch × width) to use instead of drawing them, and ``bins`` > 0 for the
 * per-layer histograms of the activations (``act_hist``).
 */
export function simulate(options = {}) {
  shared = shared || new Simulator();
  return shared.run(options);
}
