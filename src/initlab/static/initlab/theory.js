/**
 * The mean-field theory of ``initlab.propagation.predict_variance``, in the page.
 *
 * Forward (LeCun et al. 1998; Glorot & Bengio 2010; He et al. 2015), for zero-mean i.i.d.
 * weights of variance v_l = (scale · init std)² and z_l ~ N(0, q_l):
 *
 *   q_1 = n·v_1·E[x²],   q_l = n·v_l·E[f(z_{l−1})²];
 *
 * backward, for the unit-variance output gradient of ``simulate``:
 *
 *   r_L = E[f'(z_L)²],   r_l = E[f'(z_l)²]·n·v_{l+1}·r_{l+1}.
 *
 * It is the second moment E[f(z)²], mean included, that the next layer receives. The Gaussian
 * expectations are exact for linear, ReLU and leaky ReLU and a 128-node Gauss–Legendre quadrature
 * otherwise, the same rule as the Python module, so the two agree to about 1e-12.
 *
 * >>> predictVariance({depth: 30, width: 256, activation: "relu", init: "glorot_normal"}).pre_std[29]
 */

import { activate, derivative, activationName, BOUNDED, LEAKY_SLOPE, SELU_LAMBDA, LECUN_TANH_A } from "./activations.js";
import { checkInt, checkKeys, checkPositive } from "./errors.js";
import { initializerMean, initializerName, initializerStd } from "./initializers.js";
import { pyFormat } from "./pyformat.js";

/** Gauss–Legendre nodes and weights on [−1, 1] (Newton's method on P_n, as in Golub–Welsch tables). */
function legendre(n) {
  const x = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5)), pp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1, p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      pp = n * (z * p1 - p2) / (z * z - 1);
      const dz = p1 / pp;
      z -= dz;
      if (Math.abs(dz) < 3e-16) break;
    }
    x[i] = -z; x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * pp * pp);
  }
  return [x, w];
}

let QUADRATURE = null;
/** Nodes x >= 0 (x = cutoff·t², t in [0, 1]) and weights for E[h(z)] ≈ Σ w_i [h(σx_i) + h(−σx_i)]. */
function quadrature(n = 128, cutoff = 10) {
  if (QUADRATURE) return QUADRATURE;
  const [u, w] = legendre(n);
  const x = new Float64Array(n), wt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = (u[i] + 1) / 2;
    x[i] = cutoff * t * t;
    wt[i] = w[i] * cutoff * t * Math.exp(-0.5 * x[i] * x[i]) / Math.sqrt(2 * Math.PI);
  }
  const [ub, wb] = legendre(n);              // the bump quadrature: Gauss–Legendre on [0, 20]
  const bx = ub.map((v) => 20 * (v + 1) / 2), bw = wb.map((v) => v * 20 / 2);
  QUADRATURE = { x, w: wt, bx, bw };
  return QUADRATURE;
}

/** [E f(z), E f(z)², E f'(z)²] for z ~ N(0, q). */
export function gaussMoments(name, q) {
  if (q === 0) {
    const f0 = activate(name, 0), d0 = derivative(name, 0);
    return [f0, f0 * f0, d0 * d0];
  }
  if (q === Infinity) {
    const big = { sigmoid: [0.5, 0.5, 0], tanh: [0, 1, 0], scaled_tanh: [0, LECUN_TANH_A ** 2, 0] };
    if (big[name]) return big[name];
    const dsq = { linear: 1, relu: 0.5, leaky_relu: (1 + LEAKY_SLOPE ** 2) / 2, selu: SELU_LAMBDA ** 2 / 2 }[name];
    return [name === "linear" ? 0 : Infinity, Infinity, dsq];
  }
  if (name === "linear") return [0, q, 1];
  if (name === "relu" || name === "leaky_relu") {
    const s = name === "relu" ? 0 : LEAKY_SLOPE;
    return [(1 - s) * Math.sqrt(q / (2 * Math.PI)), (1 + s * s) / 2 * q, (1 + s * s) / 2];
  }
  const { x, w, bx, bw } = quadrature();
  const s = Math.sqrt(q);
  let m1 = 0, m2 = 0, dsq = 0;
  for (let i = 0; i < x.length; i++) {
    const fp = activate(name, s * x[i]), fn = activate(name, -s * x[i]);
    const dp = derivative(name, s * x[i]), dn = derivative(name, -s * x[i]);
    m1 += w[i] * (fp + fn);
    m2 += w[i] * (fp * fp + fn * fn);
    dsq += w[i] * (dp * dp + dn * dn);
  }
  if (BOUNDED[name] && s > 30) {
    // f'² is a bump of width ~1/c, narrow against σ: integrate it in z instead.
    const c = BOUNDED[name][0];
    dsq = 0;
    for (let i = 0; i < bx.length; i++) {
      const zz = bx[i] / c;
      const dens = Math.exp(-0.5 * (zz / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
      dsq += (bw[i] / c * dens) * derivative(name, zz) ** 2;
    }
    dsq *= 2;
  }
  return [m1, m2, dsq];
}

/** A product in which 0 wins over Infinity (a zero weight variance stops even an infinite signal). */
function mul(...factors) {
  if (factors.some((f) => f === 0)) return 0;
  return factors.reduce((p, f) => p * f, 1);
}

const THEORY_KEYS = ["depth", "width", "activation", "init", "scale", "input_var"];

/**
 * The mean-field prediction for a depth × width network; the fields of ``propagation.Prediction``
 * (arrays of length depth, index l − 1 for layer l): ``pre_var``, ``pre_std``, ``act_mean``,
 * ``act_std``, ``act_sq``, ``grad_var``, ``grad_std``, ``weight_var``, ``valid`` and ``note``.
 */
export function predictVariance(options = {}) {
  checkKeys("predictVariance", options, THEORY_KEYS);
  const { depth = 30, width = 256, activation = "relu", init = "he_normal", scale = 1, input_var = 1 } = options;
  checkInt("depth", depth, 1);
  checkInt("width", width, 1);
  const name = activationName(activation), initName = initializerName(init);
  checkPositive("scale", scale, "a multiplier on the weights");
  if (typeof input_var !== "number" || !Number.isFinite(input_var) || input_var < 0) {
    throw new RangeError(`input_var must be a finite number >= 0 (E[x²] of the input), got ${input_var}`);
  }
  const v = (scale * initializerStd(initName, width, width)) ** 2;
  const weight_var = new Array(depth).fill(v);
  const q = [], mean = [], sq = [], dsq = [], r = new Array(depth);
  let prev = input_var;
  for (let l = 0; l < depth; l++) {
    q[l] = mul(width, v, prev);
    [mean[l], sq[l], dsq[l]] = gaussMoments(name, q[l]);
    prev = sq[l];
  }
  r[depth - 1] = dsq[depth - 1];
  for (let l = depth - 2; l >= 0; l--) r[l] = mul(dsq[l], width, v, r[l + 1]);
  const actVar = sq.map((s, l) => (s === Infinity ? Infinity : Math.max(s - mean[l] * mean[l], 0)));
  const wMean = initializerMean(initName, width, width);
  return {
    depth, width, activation: name, init: initName, scale, input_var,
    pre_var: q, pre_std: q.map(Math.sqrt), act_mean: mean, act_std: actVar.map(Math.sqrt), act_sq: sq,
    grad_var: r, grad_std: r.map(Math.sqrt), weight_var, valid: wMean === 0,
    note: wMean === 0 ? "" : `${initName} draws weights with mean ${pyFormat(wMean, ".4g")} != 0: the recursion `
                             + "assumes zero-mean i.i.d. weights and does not describe this network",
  };
}
