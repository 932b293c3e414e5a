/**
 * ``train``: chapter 1's tiny network trained in the page, with the definitions of
 * ``initlab.tinynet.train``.
 *
 * The network maps sizes = [n_0, …, n_L] (n_L = 1) with hidden activation f and a sigmoid output:
 * h_0 = x, h_l = f(h_{l−1}·W_l + b_l) for l < L, p = σ(h_{L−1}·W_L + b_L). Full-batch gradient
 * descent on the mean binary cross-entropy ℒ = −(1/m) Σ [y log p + (1 − y) log(1 − p)], with p
 * clipped to [1e−12, 1 − 1e−12] inside the logarithms only. Backpropagation: δ_L = (p − y)/m,
 * ∂ℒ/∂W_l = h_{l−1}ᵀ·δ_l, ∂ℒ/∂b_l = Σ δ_l, δ_{l−1} = (δ_l·W_lᵀ) ⊙ f'(z_{l−1}). Everything is
 * float64 and biases start at 0, so from the same starting weights the loss follows Python's to
 * round-off. Overflow is a result, not an error: a saturated sigmoid gives p = 0 or 1.
 *
 * The weights come from ``weights`` (a list of W_l, each n_{l−1} × n_l) or are drawn by ``init``
 * times ``scale``, W_l from the random stream (seed, l), as ``sampleWeights`` but in float64.
 *
 * >>> const run = train({x: [[0, 1], [1, 0]], y: [1, 0], sizes: [2, 4, 1], init: "ones", steps: 10});
 * >>> run.loss.length   // 11: before each step and after the last
 */

import { activate, activationName, BOUNDED, derivative } from "./activations.js";
import { checkInt, checkKeys, checkPositive, describe } from "./errors.js";
import { fillWeights, initializerName } from "./initializers.js";
import { Rng } from "./rng.js";

const KEYS = ["x", "y", "sizes", "activation", "init", "lr", "steps", "seed", "scale", "weights"];

/** A list of finite numbers, nested (rows × cols) or flat, as a row-major Float64Array. */
function matrix(name, value, rows, cols) {
  const nested = Array.isArray(value) && value.length > 0 && Array.isArray(value[0]);
  const flat = !nested && value !== null && typeof value === "object" && value.length === rows * cols;
  if (!(nested && value.length === rows && value.every((r) => Array.isArray(r) && r.length === cols)) && !flat) {
    throw new TypeError(`${name} must be a ${rows} × ${cols} matrix: ${rows} arrays of ${cols} numbers, `
                        + `or one array of ${rows * cols} numbers; got ${describe(value)}`);
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = nested ? value[i][j] : value[i * cols + j];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new TypeError(`${name} must hold finite numbers; got ${describe(v)} at row ${i}, column ${j}`);
      }
      out[i * cols + j] = v;
    }
  }
  return out;
}

/** Check and complete the options of ``train``; the defaults are those of ``tinynet.train``. */
function settings(options) {
  checkKeys("train", options, KEYS);
  const o = { sizes: [2, 4, 1], activation: "tanh", init: "zeros", lr: 1, steps: 200, seed: 0, scale: 1, ...options };
  const { sizes } = o;
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes[sizes.length - 1] !== 1) {
    throw new TypeError(`sizes must be a list [n_in, hidden..., 1] of positive integers, got ${describe(sizes)}`);
  }
  sizes.forEach((n) => checkInt("each of sizes", n, 1));
  o.activation = activationName(o.activation);
  checkPositive("lr", o.lr, "the learning rate");
  checkInt("steps", o.steps, 0);
  checkInt("seed", o.seed, 0, Number.MAX_SAFE_INTEGER);
  checkPositive("scale", o.scale, "a multiplier on the weights");
  if (!Array.isArray(o.y) || o.y.length < 1 || !o.y.every((v) => v === 0 || v === 1)) {
    throw new TypeError(`y must be a non-empty array of the labels 0 and 1, got ${describe(o.y)}`);
  }
  o.m = o.y.length;
  o.X = matrix("x", o.x, o.m, sizes[0]);
  o.Y = Float64Array.from(o.y);
  if (o.weights !== undefined) {
    if (o.scale !== 1) throw new RangeError(`scale must be 1 when weights are given (they are used as they are), got ${o.scale}`);
    const shapes = sizes.slice(1).map((n, l) => `(${sizes[l]}, ${n})`).join(", ");
    if (!Array.isArray(o.weights) || o.weights.length !== sizes.length - 1) {
      throw new TypeError(`weights must be a list of ${sizes.length - 1} matrices of shapes ${shapes}, got ${describe(o.weights)}`);
    }
    o.W = o.weights.map((w, l) => matrix(`weights[${l}]`, w, sizes[l], sizes[l + 1]));
    o.init = "given";
  } else {
    o.init = initializerName(o.init);
    o.W = sizes.slice(1).map((n, l) => {
      const w = new Float64Array(sizes[l] * n);
      fillWeights(o.init, sizes[l], n, new Rng(o.seed, l), w);
      return o.scale === 1 ? w : w.map((v) => o.scale * v);
    });
  }
  return o;
}

/** z = h·W + b for h (m × a) and W (a × b), row-major. */
function affine(h, W, b, m, a, n) {
  const z = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < a; k++) s += h[i * a + k] * W[k * n + j];
      z[i * n + j] = s + b[j];
    }
  }
  return z;
}

/** gW = hᵀ·δ (a × n) and gb = Σ_rows δ (n), for h (m × a) and δ (m × n). */
function gradient(h, delta, m, a, n) {
  const gW = new Float64Array(a * n), gb = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const hi = i * a, di = i * n;
    for (let j = 0; j < n; j++) gb[j] += delta[di + j];
    for (let k = 0; k < a; k++) {
      const v = h[hi + k], row = k * n;
      for (let j = 0; j < n; j++) gW[row + j] += v * delta[di + j];
    }
  }
  return { W: gW, b: gb };
}

/** δ_{l−1} = (δ·Wᵀ) ⊙ f'(z) for δ (m × n), W (a × n) and z (m × a). */
function backward(delta, W, z, m, a, n, df) {
  const out = new Float64Array(m * a);
  for (let i = 0; i < m; i++) {
    const di = i * n, oi = i * a;
    for (let k = 0; k < a; k++) {
      let s = 0;
      const row = k * n;
      for (let j = 0; j < n; j++) s += delta[di + j] * W[row + j];
      out[oi + k] = s * df(z[oi + k]);
    }
  }
  return out;
}

/** f and f' of a canonical activation as one-argument functions (the same formulas, hoisted). */
function functions(name) {
  const f = { tanh: Math.tanh, relu: (v) => (v > 0 ? v : 0), linear: (v) => v }[name] ?? ((v) => activate(name, v));
  let df = { relu: (v) => (v > 0 ? 1 : 0), linear: () => 1 }[name] ?? ((v) => derivative(name, v));
  if (BOUNDED[name]) {            // k·sech²(c·z), as derivative() computes it, without its look-ups
    const [c, k] = BOUNDED[name];
    df = (v) => { const e = Math.exp(-2 * Math.abs(c * v)); return k * (4 * e / ((1 + e) * (1 + e))); };
  }
  return [f, df];
}

const sigmoid = (v) => 1 / (1 + Math.exp(-v));

function apply(z, fn) {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = fn(z[i]);
  return out;
}

/**
 * A training run that can be advanced step by step (the playground's play, pause and step).
 * ``loss`` holds ℒ at every step taken so far; ``params`` the current [{W, b}] (row-major
 * Float64Arrays, W_l of shape sizes[l] × sizes[l+1]).
 */
export class Trainer {
  constructor(options = {}) {
    const o = settings(options);
    Object.assign(this, { sizes: o.sizes.slice(), activation: o.activation, init: o.init, lr: o.lr, seed: o.seed,
                          scale: o.scale, X: o.X, Y: o.Y, m: o.m, steps: 0 });
    [this.f, this.df] = functions(o.activation);
    this.params = o.W.map((W, l) => ({ W, b: new Float64Array(o.sizes[l + 1]) }));
    this.loss = [];
    this.evaluate();
  }

  /** Forward pass: the activations h_0..h_L and pre-activations z_1..z_L for the whole batch. */
  forward(X = this.X, m = this.m) {
    const { sizes, params } = this, L = params.length, hs = [X], zs = [];
    for (let l = 0; l < L; l++) {
      const z = affine(hs[l], params[l].W, params[l].b, m, sizes[l], sizes[l + 1]);
      zs.push(z);
      hs.push(apply(z, l === L - 1 ? sigmoid : this.f));
    }
    return { hs, zs };
  }

  /** The loss and gradients at the current weights; records the loss and the accuracy. */
  evaluate() {
    const { hs, zs } = this.forward(), { m, Y, sizes, params } = this, p = hs[hs.length - 1];
    let sum = 0, right = 0;
    for (let i = 0; i < m; i++) {
      const q = Math.min(Math.max(p[i], 1e-12), 1 - 1e-12);
      sum += Y[i] * Math.log(q) + (1 - Y[i]) * Math.log(1 - q);
      right += (p[i] > 0.5) === (Y[i] > 0.5) ? 1 : 0;
    }
    this.loss.push(-sum / m);
    this.accuracy = right / m;
    let delta = p.map((v, i) => (v - Y[i]) / m);
    const grads = new Array(params.length);
    for (let l = params.length - 1; l >= 0; l--) {
      grads[l] = gradient(hs[l], delta, m, sizes[l], sizes[l + 1]);
      if (l > 0) delta = backward(delta, params[l].W, zs[l - 1], m, sizes[l], sizes[l + 1], this.df);
    }
    this.grads = grads;
  }

  /** Take ``count`` gradient-descent steps; returns this. */
  step(count = 1) {
    checkInt("count", count, 0);
    for (let s = 0; s < count; s++) {
      this.params.forEach(({ W, b }, l) => {
        const g = this.grads[l];
        for (let i = 0; i < W.length; i++) W[i] -= this.lr * g.W[i];
        for (let j = 0; j < b.length; j++) b[j] -= this.lr * g.b[j];
      });
      this.steps += 1;
      this.evaluate();
    }
    return this;
  }

  /** ‖∂ℒ/∂W_l‖ (Frobenius) per layer at the current weights: the playground's gradient bars. */
  gradNorms() {
    return this.grads.map(({ W }) => Math.sqrt(W.reduce((s, v) => s + v * v, 0)));
  }

  /** Probabilities p of class 1 for points given as ``x`` in ``train`` (the decision boundary). */
  predict(points) {
    const rows = Array.isArray(points) && Array.isArray(points[0]) ? points.length : (points?.length ?? 0) / this.sizes[0];
    if (!Number.isInteger(rows) || rows < 1) {
      throw new TypeError(`points must be arrays of ${this.sizes[0]} numbers, or one flat array of them; got ${describe(points)}`);
    }
    const { hs } = this.forward(matrix("points", points, rows, this.sizes[0]), rows);
    return hs[hs.length - 1];
  }
}

/**
 * Train the tiny network; options ``{x, y, sizes = [2, 4, 1], activation = "tanh", init = "zeros",
 * lr = 1, steps = 200, seed = 0, scale = 1, weights}`` as ``tinynet.train``'s. Returns ``loss``
 * (steps + 1 values), the final ``params`` ([{W, b}], row-major Float64Arrays), ``accuracy`` (the
 * fraction of points on the right side of p = ½ at the end), ``grad_norms`` (‖∂ℒ/∂W_l‖ per layer at
 * the final weights) and the options used.
 */
export function train(options = {}) {
  const t = new Trainer(options).step(options.steps ?? 200);
  return { sizes: t.sizes, activation: t.activation, init: t.init, lr: t.lr, seed: t.seed, scale: t.scale,
           steps: t.steps, loss: Float64Array.from(t.loss), params: t.params, accuracy: t.accuracy,
           grad_norms: t.gradNorms() };
}
