/**
 * Init Lab's engine for the page: the course's math in JavaScript, with the same names, parameters
 * and result fields as the Python package (``initlab.propagation`` and ``initlab.initializers``),
 * and tested against it. ``initlab.js`` publishes it as ``window.InitLab``.
 *
 * >>> import { simulate, predictVariance, verdict } from "./engine.js";
 * >>> verdict(simulate({depth: 30, width: 256, activation: "tanh", init: "zeros", seed: 0}))
 * "no signal: every activation is exactly 0 (zero weights pass nothing on)"
 */

export { ACTIVATIONS, SATURATION_THRESHOLD, SELU_ALPHA, SELU_LAMBDA, LECUN_TANH_A, LECUN_TANH_B, LEAKY_SLOPE,
  activate, activationName, derivative } from "./activations.js";
export { NAMES, ALIASES, TRUNCATION_STD, initializerName, initializerStd, initializerMean, initializerBounds,
  fillWeights } from "./initializers.js";
export { HAS_WASM_SIMD, Heap } from "./kernels.js";
export { pyFormat } from "./pyformat.js";
export { Rng } from "./rng.js";
export { MAX_BYTES, Simulator, ratio, sampleWeights, simulate } from "./simulate.js";
export { gaussMoments, predictVariance } from "./theory.js";
export { Trainer, train } from "./train.js";
export { VERDICT_RULE, verdict } from "./verdict.js";
