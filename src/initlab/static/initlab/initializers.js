/**
 * The course's weight initializers, in the page: the same names, aliases, variances, limits and
 * truncation as ``initlab.initializers`` (its tests compare them).
 *
 * Every named scheme draws i.i.d. weights with mean 0 and variance σ² = scale / max(1, fan):
 * LeCun (1998) 1/fan_in, Glorot & Bengio (2010) 2/(fan_in + fan_out), He et al. (2015) 2/fan_in,
 * and Glorot's "standard" U(±1/√fan_in). "uniform" draws U(−√3σ, √3σ); "normal" is, as in Keras,
 * a normal with std σ₀ = σ/0.8796 cut at ±2σ₀, whose samples have std exactly σ. ``orthogonal``
 * is the Q of a Gaussian matrix (Saxe et al. 2014); the historical heuristics ignore the layer.
 *
 * >>> initializerStd("he_normal", 256, 256)   // √(2/256) = 0.0884
 */

import { closest } from "./errors.js";

/** Std of a standard normal truncated to [-2, 2]. */
export const TRUNCATION_STD = 0.87962566103423978;

// name: [kind, parameters]. "vs" is variance scaling: [scale, mode, distribution].
const SCHEMES = {
  zeros: ["constant", 0], ones: ["constant", 1], constant: ["constant", 0],
  random_normal: ["normal", 0, 0.05], random_uniform: ["uniform", -0.05, 0.05],
  truncated_normal: ["truncated", 0, 0.05],
  glorot_uniform: ["vs", 1, "fan_avg", "uniform"], glorot_normal: ["vs", 1, "fan_avg", "truncated"],
  he_uniform: ["vs", 2, "fan_in", "uniform"], he_normal: ["vs", 2, "fan_in", "truncated"],
  lecun_uniform: ["vs", 1, "fan_in", "uniform"], lecun_normal: ["vs", 1, "fan_in", "truncated"],
  orthogonal: ["orthogonal", 1], identity: ["identity", 1],
  numpy_rand: ["uniform", 0, 1], uniform_pm03: ["uniform", -0.3, 0.3], uniform_pm1: ["uniform", -1, 1],
  glorot_standard: ["vs", 1 / 3, "fan_in", "uniform"],
};

/** The canonical initializer names, as ``initializers.NAMES``. */
export const NAMES = Object.freeze(Object.keys(SCHEMES));

/** Other spellings and the canonical name each stands for, as ``initializers.ALIASES``. */
export const ALIASES = Object.freeze({
  xavier_uniform: "glorot_uniform", xavier_normal: "glorot_normal",
  kaiming_uniform: "he_uniform", kaiming_normal: "he_normal",
  zero: "zeros", one: "ones", pytorch_linear: "glorot_standard",
});

/** The canonical name for ``"he_normal"``, ``"HeNormal"``, ``"kaiming-normal"``; throws otherwise. */
export function initializerName(init) {
  if (typeof init !== "string") {
    throw new TypeError(`init must be an initializer name, one of ${NAMES.join(", ")}; got ${typeof init}`);
  }
  let key = init.trim().replace(/[- ]/g, "_");
  const snake = key.includes("_") || key === key.toLowerCase() || key === key.toUpperCase();
  key = snake ? key.toLowerCase() : key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()).replace(/^_/, "");
  key = ALIASES[key] || key;
  if (!(key in SCHEMES)) {
    const valid = [...NAMES, ...Object.keys(ALIASES)];
    const near = closest(key, valid);
    throw new Error(`unknown initializer ${JSON.stringify(init)}.${near ? ` Did you mean '${near}'?` : ""} `
                    + `Valid: ${valid.join(", ")}.`);
  }
  return key;
}

function vsStd(scale, mode, fanIn, fanOut) {
  const fan = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2;
  return Math.sqrt(scale / Math.max(1, fan));
}

/** The std of one entry of a (fanIn × fanOut) matrix drawn by ``init`` (``Initializer.std``). */
export function initializerStd(init, fanIn, fanOut) {
  const [kind, p, q] = SCHEMES[initializerName(init)];
  switch (kind) {
    case "constant": return 0;
    case "normal": return q;
    case "truncated": return TRUNCATION_STD * q;
    case "uniform": return (q - p) / Math.sqrt(12);
    case "vs": return vsStd(p, q, fanIn, fanOut);
    case "orthogonal": return Math.abs(p) / Math.sqrt(Math.max(1, fanIn, fanOut));
    default: { // identity
      const frac = Math.min(fanIn, fanOut) / Math.max(1, fanIn * fanOut);
      return Math.abs(p) * Math.sqrt(frac * (1 - frac));
    }
  }
}

/** The mean of one entry (``propagation._weight_mean``): 0 for the zero-mean schemes. */
export function initializerMean(init, fanIn, fanOut) {
  const [kind, p, q] = SCHEMES[initializerName(init)];
  if (kind === "constant") return p;
  if (kind === "normal" || kind === "truncated") return p;
  if (kind === "uniform") return (p + q) / 2;
  if (kind === "identity") return p * Math.min(fanIn, fanOut) / Math.max(1, fanIn * fanOut);
  return 0;
}

/** The support [low, high] of one entry (``Initializer.bounds``). */
export function initializerBounds(init, fanIn, fanOut) {
  const [kind, p, q, r] = SCHEMES[initializerName(init)];
  switch (kind) {
    case "constant": return [p, p];
    case "normal": return q ? [-Infinity, Infinity] : [p, p];
    case "truncated": return [p - 2 * q, p + 2 * q];
    case "uniform": return [p, q];
    case "vs": {
      const s = vsStd(p, q, fanIn, fanOut);
      return r === "uniform" ? [-Math.sqrt(3) * s, Math.sqrt(3) * s]
                             : [-2 * s / TRUNCATION_STD, 2 * s / TRUNCATION_STD];
    }
    case "orthogonal": return [-Math.abs(p), Math.abs(p)];
    default: return [Math.min(0, p), Math.max(0, p)];
  }
}

/**
 * Draw a (rows × cols) matrix into ``out`` (a Float32Array), entry (i, j) at
 * ``out[offset + i * stride + j]``. Entries past ``cols`` in each row are left as they are.
 */
export function fillWeights(init, rows, cols, rng, out, stride = cols, offset = 0) {
  const [kind, p, q, r] = SCHEMES[initializerName(init)];
  const set = (fn) => {
    for (let i = 0; i < rows; i++) {
      const o = offset + i * stride;
      for (let j = 0; j < cols; j++) out[o + j] = fn(i, j);
    }
  };
  switch (kind) {
    case "constant": return set(() => p);
    case "normal": return set(() => p + q * rng.normal());
    case "truncated": return set(() => p + q * rng.truncatedNormal());
    case "uniform": return set(() => p + (q - p) * rng.random());
    case "vs": {
      const s = vsStd(p, q, rows, cols);
      if (r === "uniform") {
        const limit = Math.sqrt(3) * s;
        return set(() => limit * (2 * rng.random() - 1));
      }
      const s0 = s / TRUNCATION_STD;
      return set(() => s0 * rng.truncatedNormal());
    }
    case "orthogonal": {
      const qm = orthonormalColumns(Math.max(rows, cols), Math.min(rows, cols), rng);
      return rows >= cols ? set((i, j) => p * qm[j][i]) : set((i, j) => p * qm[i][j]);
    }
    default: return set((i, j) => (i === j ? p : 0));
  }
}

/**
 * m orthonormal vectors of length n (n >= m), the columns of the Q factor of an n × m Gaussian
 * matrix with R's diagonal made positive, i.e. Haar-distributed (Mezzadri 2007), as numpy's QR
 * with the signs folded in. Computed by modified Gram–Schmidt in float64, whose loss of
 * orthogonality is about 1e-16 times the condition number (a few hundred for a Gaussian matrix).
 */
function orthonormalColumns(n, m, rng) {
  const cols = [];
  for (let c = 0; c < m; c++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const u of cols) {
      let d = 0;
      for (let i = 0; i < n; i++) d += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= d * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  return cols;
}
