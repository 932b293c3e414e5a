/**
 * The explorer's one-line verdict, in the same words as ``initlab.widgets.verdict``: overflow,
 * no signal, saturation and dead ReLUs come first, then the forward and backward std ratios.
 *
 * >>> verdict(simulate({activation: "relu", init: "glorot_normal", depth: 30, width: 256, seed: 0}))
 * "vanishing: the signal shrinks ×3e-05 by layer 30"    (the ratio varies with the seed)
 */

import { BOUNDED_RANGE } from "./activations.js";
import { pyFormat } from "./pyformat.js";

/** The rule behind the verdict, for a reader: which ratios count as healthy. */
export const VERDICT_RULE = "healthy when the last layer's std is within ×0.1 to ×10 of the first "
  + "layer's, forward and backward; saturated or dying when more than half of the last layer's units are";

const fmt = (x) => (x === null ? "undefined" : Math.abs(x) >= 0.01 && Math.abs(x) < 100 ? pyFormat(x, ".2g")
                                                                                  : pyFormat(x, ".0e"));

/** The verdict for a result of ``simulate``. */
export function verdict(sim) {
  const last = sim.depth, i = last - 1;
  if (sim.overflow_layer !== null) return `overflow: the signal reaches inf at layer ${sim.overflow_layer}`;
  if (sim.act_std.every((s) => s === 0)) {
    if (sim.act_mean[i] === 0) return "no signal: every activation is exactly 0 (zero weights pass nothing on)";
    return `no signal: every unit outputs the same value (${pyFormat(sim.act_mean[i], ".3g")}), whatever the input`;
  }
  if (sim.grad_overflow_layer !== null) {
    return `exploding gradients: the backward pass reaches inf at layer ${sim.grad_overflow_layer}`;
  }
  const { ratio, grad_ratio: grad } = sim;
  if (BOUNDED_RANGE[sim.activation] && sim.saturation[i] > 0.5) {
    return `saturated: ${pyFormat(sim.saturation[i], ".0%")} of ${sim.activation} units at their bounds by layer ${last}`;
  }
  if (sim.activation === "relu" && sim.dead[i] > 0.5) {
    return `dying: ${pyFormat(sim.dead[i], ".0%")} of ReLU units are dead for the whole batch at layer ${last}`;
  }
  if (ratio !== null && ratio < 0.1) return `vanishing: the signal shrinks ×${fmt(ratio)} by layer ${last}`;
  if (ratio !== null && ratio > 10) return `exploding: the signal grows ×${fmt(ratio)} by layer ${last}`;
  if (grad !== null && grad < 0.1) return `vanishing gradients: ×${fmt(grad)} from layer ${last} back to layer 1`;
  if (grad !== null && grad > 10) return `exploding gradients: ×${fmt(grad)} from layer ${last} back to layer 1`;
  return `healthy: signal ×${fmt(ratio)} and gradient ×${fmt(grad)} across ${last} layers`;
}
