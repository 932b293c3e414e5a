// InitLab.train on its own, in Node (tests/test_engine_parity.py runs `node --test tests/js/`).
// Its agreement with initlab.tinynet.train is tested in tests/test_engine_train.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as E from "../../src/initlab/static/initlab/engine.js";

/** Two noisy concentric circles, labels alternating 1 (inner) and 0 (outer), from the engine's Rng. */
function circles(n, seed) {
  const rng = new E.Rng(seed, 0), x = [], y = [];
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * rng.random(), r = i % 2 ? 0.5 : 1;
    x.push([r * Math.cos(t) + 0.08 * rng.normal(), r * Math.sin(t) + 0.08 * rng.normal()]);
    y.push(i % 2);
  }
  return { x, y };
}

const columnSpread = (W, rows, cols) => {
  let s = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) s = Math.max(s, Math.abs(W[i * cols + j] - W[i * cols]));
  return s;
};

test("train returns steps + 1 losses, the final params and the accuracy", () => {
  const { x, y } = circles(200, 1);
  const run = E.train({ x, y, sizes: [2, 8, 1], init: "glorot_uniform", steps: 300, seed: 2 });
  assert.equal(run.loss.length, 301);
  assert.deepEqual(run.params.map((p) => [p.W.length, p.b.length]), [[16, 8], [8, 1]]);
  assert.ok(run.loss[300] < 0.5 * run.loss[0]);          // random weights learn the circles
  assert.ok(run.accuracy > 0.9);
});

test("stepping a Trainer by hand is the same run as train", () => {
  const { x, y } = circles(60, 3), opts = { x, y, sizes: [2, 5, 3, 1], activation: "relu", init: "he_normal", seed: 4 };
  const whole = E.train({ ...opts, steps: 25 });
  const t = new E.Trainer(opts);
  for (let s = 0; s < 5; s++) t.step(5);
  assert.deepEqual(Float64Array.from(t.loss), whole.loss);
  assert.deepEqual(t.params, whole.params);
  assert.equal(t.accuracy, whole.accuracy);
  const p = t.predict(x);
  assert.equal(p.length, 60);
  assert.ok(p.every((v) => v >= 0 && v <= 1));
});

test("given weights are the starting point, and are not changed", () => {
  const { x, y } = circles(40, 5);
  const start = E.train({ x, y, sizes: [2, 4, 1], init: "lecun_normal", seed: 6, steps: 0 }).params.map((p) => p.W);
  const copies = start.map((W) => Float64Array.from(W));
  const drawn = E.train({ x, y, sizes: [2, 4, 1], init: "lecun_normal", seed: 6, steps: 30 });
  const given = E.train({ x, y, sizes: [2, 4, 1], steps: 30, weights: start });
  assert.deepEqual(given.loss, drawn.loss);
  assert.equal(given.init, "given");
  assert.deepEqual(start, copies);
});

test("with a constant init every hidden unit stays a copy of unit 0; random weights break the tie", () => {
  const { x, y } = circles(100, 7);
  const sizes = [2, 4, 4, 1];
  for (const activation of ["tanh", "sigmoid", "relu"]) {
    const run = E.train({ x, y, sizes, activation, init: "ones", scale: 0.5, steps: 200 });
    run.params.slice(0, -1).forEach(({ W, b }, l) => {
      assert.equal(columnSpread(W, sizes[l], sizes[l + 1]), 0, `${activation} layer ${l + 1}`);
      assert.ok(b.every((v) => v === b[0]));
    });
  }
  const rand = E.train({ x, y, sizes, init: "glorot_uniform", seed: 1, steps: 200 });
  assert.ok(columnSpread(rand.params[0].W, 2, 4) > 0.1);
});

test("zero weights with tanh: only the output bias learns, so the loss falls to the base rate's", () => {
  const { x } = circles(40, 8), y = x.map((_, i) => (i % 4 === 0 ? 0 : 1));   // base rate 3/4
  const run = E.train({ x, y, sizes: [2, 4, 1], activation: "tanh", init: "zeros", steps: 400 });
  assert.ok(run.params.every(({ W }) => W.every((v) => v === 0)));
  const base = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));   // the entropy of the labels
  assert.ok(Math.abs(run.loss[400] - base) < 1e-6);
  assert.equal(run.accuracy, 0.75);
  assert.deepEqual(run.grad_norms, [0, 0]);                 // h = tanh(0) = 0 and δ·Wᵀ = 0: no weight moves
});

test("bad input throws an error naming what is valid", () => {
  const { x, y } = circles(10, 0);
  const cases = [
    [{ x, y, sizes: [2, 4, 2] }, /sizes must be a list \[n_in, hidden\.\.\., 1\]/],
    [{ x, y, activation: "swish" }, /Valid: linear, sigmoid, tanh/],
    [{ x, y, init: "glorot" }, /Valid: zeros, ones/],
    [{ x, y, lr: -1 }, /lr must be a finite number > 0/],
    [{ x, y, steps: 1.5 }, /steps must be an integer >= 0/],
    [{ x, y: y.map(() => 0.5) }, /labels 0 and 1/],
    [{ x: x.slice(1), y }, /x must be a 10 × 2 matrix/],
    [{ x, y, weights: [[[0, 0, 0, 0], [0, 0, 0, 0]], [[0], [0], [0], [NaN]]] }, /weights\[1\] must hold finite numbers/],
    [{ x, y, seed: -1 }, /seed must be an integer in \[0, /],
    [{ x, y, epochs: 3 }, /unknown option 'epochs'.*Valid: x, y, sizes/],
    [null, /train takes one options object/],
  ];
  for (const [options, pattern] of cases) assert.throws(() => E.train(options), (e) => e instanceof Error && pattern.test(e.message));
  assert.throws(() => new E.Trainer({ x, y }).step(-1), /count must be an integer >= 0/);
});
