/**
 * The activations of ``initlab.propagation.ACTIVATIONS`` and their derivatives, in float64, with
 * the same constants, aliases and saturation thresholds.
 *
 * >>> activate("selu", -1)   // λα(e^−1 − 1) = −1.1113
 */

import { closest } from "./errors.js";

export const ACTIVATIONS = Object.freeze(["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "scaled_tanh"]);
const ALIASES = { identity: "linear", lecun_tanh: "scaled_tanh", leakyrelu: "leaky_relu", logistic: "sigmoid" };

/** SELU's α and λ (Klambauer et al. 2017). */
export const SELU_ALPHA = 1.6732632423543772848170429916717;
export const SELU_LAMBDA = 1.0507009873554804934193349852946;
/** LeCun et al. (1998)'s scaled tanh A·tanh(B·z). */
export const LECUN_TANH_A = 1.7159;
export const LECUN_TANH_B = 2 / 3;
export const LEAKY_SLOPE = 0.01;
/** A bounded unit is saturated when its output, scaled to [−1, 1], exceeds this in size. */
export const SATURATION_THRESHOLD = Object.freeze({ tanh: 0.97, scaled_tanh: 0.97, sigmoid: 0.94 });
/** f(z) = A·tanh(c·z) + offset and f'(z) = k·(1 − tanh(c·z)²) for the bounded ones: [c, k]. */
export const BOUNDED = Object.freeze({
  tanh: [1, 1], scaled_tanh: [LECUN_TANH_B, LECUN_TANH_A * LECUN_TANH_B], sigmoid: [0.5, 0.25],
});
/** The output range of each bounded activation (the explorer's heat strip spans it). */
export const BOUNDED_RANGE = Object.freeze({ tanh: [-1, 1], scaled_tanh: [-LECUN_TANH_A, LECUN_TANH_A], sigmoid: [0, 1] });

/** The canonical name of an activation ("ReLU", "leaky-relu", "identity" …); throws otherwise. */
export function activationName(activation) {
  if (typeof activation !== "string") {
    throw new TypeError(`activation must be a string, one of ${ACTIVATIONS.join(", ")}; got ${typeof activation}`);
  }
  let key = activation.trim().toLowerCase().replace(/[- ]/g, "_");
  key = ALIASES[key] || key;
  if (!ACTIVATIONS.includes(key)) {
    const near = closest(key, [...ACTIVATIONS, ...Object.keys(ALIASES)]);
    const hint = near ? ` Did you mean '${ALIASES[near] || near}'?` : "";
    throw new Error(`unknown activation ${JSON.stringify(activation)}.${hint} Valid: ${ACTIVATIONS.join(", ")}.`);
  }
  return key;
}

/** sech²(z) = 4e^(−2|z|)/(1 + e^(−2|z|))², without overflow. */
function sech2(z) {
  const e = Math.exp(-2 * Math.abs(z));
  return 4 * e / ((1 + e) * (1 + e));
}

/** f(z) for a canonical activation name. */
export function activate(name, z) {
  switch (name) {
    case "linear": return z;
    case "sigmoid": return 0.5 * (1 + Math.tanh(0.5 * z));
    case "tanh": return Math.tanh(z);
    case "scaled_tanh": return LECUN_TANH_A * Math.tanh(LECUN_TANH_B * z);
    case "relu": return z > 0 ? z : 0;
    case "leaky_relu": return z > 0 ? z : LEAKY_SLOPE * z;
    default: return SELU_LAMBDA * (z > 0 ? z : SELU_ALPHA * Math.expm1(Math.min(z, 0))); // selu
  }
}

/** f'(z); at the ReLU kink f'(0) = 0, as in Keras and PyTorch. */
export function derivative(name, z) {
  switch (name) {
    case "linear": return 1;
    case "relu": return z > 0 ? 1 : 0;
    case "leaky_relu": return z > 0 ? 1 : LEAKY_SLOPE;
    case "selu": return SELU_LAMBDA * (z > 0 ? 1 : SELU_ALPHA * Math.exp(Math.min(z, 0)));
    default: { const [c, k] = BOUNDED[name]; return k * sech2(c * z); }
  }
}
