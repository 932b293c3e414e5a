// The page's engine on its own, in Node: `node --test tests/js/` (tests/test_engine.py runs it).
// Its agreement with the Python package is tested in tests/test_engine_parity.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as E from "../../src/initlab/static/initlab/engine.js";

const Z = 5; // statistical checks allow Z standard errors: a false failure < 1e-6

test("the random streams are reproducible, distinct and standard normal", () => {
  const a = new E.Rng(7, 3), b = new E.Rng(7, 3), c = new E.Rng(7, 4), d = new E.Rng(8, 3);
  const xs = Array.from({ length: 5 }, () => a.normal());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.normal()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.normal()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => d.normal()));
  const n = 200000, r = new E.Rng(1, 0);
  let s1 = 0, s2 = 0, s4 = 0, u = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s1 += z; s2 += z * z; s4 += z ** 4;
    u += r.random();
  }
  assert.ok(Math.abs(s1 / n) < Z / Math.sqrt(n));                 // mean 0, SE 1/√n
  assert.ok(Math.abs(s2 / n - 1) < Z * Math.sqrt(2 / n));         // E z² = 1, SE √(2/n)
  assert.ok(Math.abs(s4 / n - 3) < Z * Math.sqrt(96 / n));         // E z⁴ = 3, Var z⁴ = 105 − 9
  assert.ok(Math.abs(u / n - 0.5) < Z * Math.sqrt(1 / 12 / n));    // uniform mean ½
});

test("a truncated normal stays within ±2 and has the std TRUNCATION_STD", () => {
  const r = new E.Rng(2), n = 200000;
  let ss = 0, max = 0;
  for (let i = 0; i < n; i++) {
    const z = r.truncatedNormal();
    ss += z * z;
    max = Math.max(max, Math.abs(z));
  }
  assert.ok(max <= 2);
  // N(0, 1) cut at ±c has m2 = 1 − 2cφ(c)/Z_c and m4 = 3·m2 − 2c³φ(c)/Z_c, so m4 = 3·m2 − c²(1 − m2)
  const m2 = E.TRUNCATION_STD ** 2, kurtosis = (3 * m2 - 4 * (1 - m2)) / m2 ** 2;
  const se = E.TRUNCATION_STD ** 2 * Math.sqrt((kurtosis - 1) / n);
  assert.ok(Math.abs(ss / n - E.TRUNCATION_STD ** 2) < Z * se);
});

test("orthogonal weights are orthonormal and depend only on (seed, layer)", () => {
  const [w] = E.sampleWeights({ widths: [64, 64], init: "orthogonal", seed: 1 });
  for (let i = 0; i < 64; i += 7) {
    for (let j = 0; j < 64; j += 5) {
      let dot = 0;
      for (let k = 0; k < 64; k++) dot += w[k * 64 + i] * w[k * 64 + j];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `columns ${i}, ${j}: ${dot}`);
    }
  }
  const deeper = E.sampleWeights({ widths: [64, 64, 64], init: "orthogonal", seed: 1 });
  assert.deepEqual(deeper[0], w);
});

test("simulate draws the weights sampleWeights gives for the same seed", () => {
  const opts = { depth: 3, width: 10, batch: 6, activation: "tanh", init: "he_uniform", seed: 9 };
  const weights = E.sampleWeights({ widths: [10, 10, 10, 10], init: "he_uniform", seed: 9 });
  const drawn = E.simulate(opts), given = E.simulate({ ...opts, weights });
  assert.deepEqual(given.pre_std, drawn.pre_std);
  assert.deepEqual(given.grad_std, drawn.grad_std);
});

test("the WebAssembly and JavaScript products give the same run", () => {
  assert.ok(E.HAS_WASM_SIMD, "Node 20 runs WebAssembly SIMD");
  const opts = { depth: 8, width: 23, batch: 7, activation: "selu", init: "lecun_normal", seed: 4 };
  const a = new E.Simulator({ wasm: true }).run(opts), b = new E.Simulator({ wasm: false }).run(opts);
  for (const k of ["pre_std", "act_std", "grad_std"]) {
    a[k].forEach((v, l) => assert.ok(Math.abs(v - b[k][l]) <= 1e-5 * v, `${k}[${l}]`));
  }
});

test("one simulator keeps its network while the scale moves, and rescales it exactly", () => {
  const sim = new E.Simulator();
  const base = { depth: 4, width: 16, batch: 8, activation: "linear", init: "glorot_normal", seed: 3 };
  const one = sim.run(base), two = sim.run({ ...base, scale: 2 });
  // linear: z_l scales by 2^l, the gradient at layer l by 2^(depth − l)
  one.pre_std.forEach((s, l) => assert.ok(Math.abs(two.pre_std[l] / s - 2 ** (l + 1)) < 1e-5));
  one.grad_std.forEach((s, l) => assert.ok(Math.abs(two.grad_std[l] / s - 2 ** (base.depth - 1 - l)) < 1e-5));
});

test("zero and constant weights pass no information, as the verdict says", () => {
  const zero = E.simulate({ depth: 5, width: 16, batch: 8, activation: "tanh", init: "zeros", seed: 0 });
  assert.ok(zero.act_std.every((s) => s === 0) && zero.ratio === null);
  assert.equal(E.verdict(zero), "no signal: every activation is exactly 0 (zero weights pass nothing on)");
  const sig = E.simulate({ depth: 5, width: 16, batch: 8, activation: "sigmoid", init: "zeros", seed: 0 });
  assert.equal(E.verdict(sig), "no signal: every unit outputs the same value (0.5), whatever the input");
});

test("overflow stops the run and reports Infinity, never NaN", () => {
  const sim = E.simulate({ depth: 30, width: 64, batch: 8, activation: "relu", init: "random_normal", scale: 100, seed: 0 });
  assert.ok(sim.overflow_layer > 1 && sim.overflow_layer <= 30);
  const l = sim.overflow_layer - 1;
  assert.ok(sim.pre_std.slice(l).every((v) => v === Infinity));
  assert.ok(sim.grad_std.every((v) => v === Infinity));
  assert.ok(sim.pre_std.slice(0, l).every(Number.isFinite));
  assert.ok(!Object.values(sim).some((v) => Array.isArray(v) && v.some(Number.isNaN)));
  assert.match(sim.message, new RegExp(`^overflow at layer ${sim.overflow_layer}:`));
  assert.equal(E.verdict(sim), `overflow: the signal reaches inf at layer ${sim.overflow_layer}`);
});

test("He keeps a deep ReLU net alive where Glorot lets it vanish (He et al. 2015)", () => {
  const run = (init) => E.simulate({ depth: 30, width: 256, batch: 32, activation: "relu", init, seed: 1 });
  assert.ok(run("glorot_normal").ratio < 1e-3);
  const he = run("he_normal").ratio;
  assert.ok(he > 0.25 && he < 4, `he ratio ${he}`);
});

test("the histograms are per-layer fractions over the bins", () => {
  const sim = E.simulate({ depth: 6, width: 32, batch: 8, activation: "tanh", init: "glorot_uniform", seed: 2, bins: 21 });
  assert.equal(sim.act_hist.counts.length, 6);
  assert.deepEqual([sim.act_hist.lo, sim.act_hist.hi], [-1, 1]);
  for (const c of sim.act_hist.counts) assert.ok(Math.abs(c.reduce((p, q) => p + q, 0) - 1) < 1e-12);
  const relu = E.simulate({ depth: 3, width: 32, batch: 8, activation: "relu", init: "he_normal", seed: 2, bins: 9 });
  assert.equal(relu.act_hist.unit, relu.act_std[0]);   // unbounded: in units of layer 1's std
});

test("the theory is exact where it has a closed form", () => {
  // He init and ReLU: q_l = n · (2/n) · q_{l−1}/2 = q_{l−1} = 2 for the N(0, 1) input (2 = n·v·E[x²]).
  const he = E.predictVariance({ depth: 10, width: 100, activation: "relu", init: "he_normal" });
  he.pre_var.forEach((q) => assert.ok(Math.abs(q - 2) < 1e-12));
  // linear: q_l = (n·v)^l; with scale s on Glorot (v = 1/n) that is s^(2l)
  const lin = E.predictVariance({ depth: 5, width: 64, activation: "linear", init: "glorot_normal", scale: 1.5 });
  lin.pre_var.forEach((q, l) => assert.ok(Math.abs(q / 1.5 ** (2 * (l + 1)) - 1) < 1e-12));
  // a mean-1 initializer is flagged
  const ones = E.predictVariance({ depth: 2, width: 8, activation: "tanh", init: "ones" });
  assert.equal(ones.valid, false);
  assert.match(ones.note, /^ones draws weights with mean 1 != 0/);
});

test("bad parameters throw errors that name what is valid", () => {
  assert.throws(() => E.simulate({ depth: 0 }), /depth must be an integer >= 1, got 0/);
  assert.throws(() => E.simulate({ activation: "swish" }), /Valid: linear, sigmoid, tanh, relu, leaky_relu, selu, scaled_tanh/);
  assert.throws(() => E.simulate({ activation: "rlu" }), /Did you mean 'relu'\?/);
  assert.throws(() => E.simulate({ init: "he-nromal" }), /Did you mean 'he_normal'\?/);
  assert.throws(() => E.simulate({ scale: 0 }), /scale must be a finite number > 0/);
  assert.throws(() => E.simulate({ seed: -1 }), /seed must be an integer in \[0, /);
  assert.throws(() => E.simulate({ widht: 3 }), /unknown option 'widht'. Did you mean 'width'\?/);
  assert.throws(() => E.simulate({ depth: 3, width: 4, batch: 2, weights: [[1]] }), /weights must be a list of 3 matrices/);
  assert.throws(() => E.predictVariance({ input_var: -1 }), /input_var must be a finite number >= 0/);
  assert.throws(() => E.pyFormat(1, "d"), /supports the specs/);
});

test("every activation and initializer runs", () => {
  for (const activation of E.ACTIVATIONS) {
    for (const init of E.NAMES) {
      const sim = E.simulate({ depth: 3, width: 8, batch: 4, activation, init, seed: 1 });
      assert.equal(sim.pre_std.length, 3);
      assert.equal(typeof E.verdict(sim), "string");
    }
  }
});
