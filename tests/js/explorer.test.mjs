// The explorer's pure parts, in Node: `node --test tests/js/` (run by the Python suite too).
import assert from "node:assert/strict";
import { test } from "node:test";

import { checkState, compute, drawBand, heatNote, medianRun, stdLimits } from "../../src/initlab/static/initlab/explorer.js";
import { Simulator } from "../../src/initlab/static/initlab/simulate.js";
import { moduleUrls } from "../../src/initlab/static/initlab/notebook.js";

test("the std axis fits the data in whole decades, and a slider's sweep only widens it", () => {
  assert.deepEqual(stdLimits([0.5, 3]), [0.1, 10]);            // 0.5 -> 10^floor(-0.5), 3 -> 10^ceil(0.68)
  assert.deepEqual(stdLimits([]), [0.1, 10]);
  const wide = stdLimits([1e-4, 2]);
  assert.deepEqual(wide, [10 ** -5, 10]);        // (10 ** -5, as the axis computes it)
  assert.deepEqual(stdLimits([0.5, 3], wide), wide);            // held while the same slider moves
  assert.deepEqual(stdLimits([0.5, 300], wide), [10 ** -5, 1000]);  // and grows when the data leave it
});

test("the notebook's module loader resolves relative imports among the sent modules", () => {
  const urls = moduleUrls({ "a.js": 'import { b } from "./b.js";\nexport const a = b;', "b.js": "export const b = 1;" });
  assert.deepEqual(Object.keys(urls).sort(), ["a.js", "b.js"]);
  assert.ok(Object.values(urls).every((u) => u.startsWith("blob:")));
  assert.throws(() => moduleUrls({ "a.js": 'import "./c.js";' }), /module c\.js was not sent; sent: a\.js/);
  assert.throws(() => moduleUrls({ "a.js": 'import "./b.js";', "b.js": 'import "./a.js";' }), /cycle at a\.js/);
});

// Chapter 2's finite-width explorer at its narrowest: draws differ a lot from seed to seed.
const NARROW = checkState({ activation: "relu", init: "he_normal", depth: 30, width: 8, batch: 64, seed: 7 });

test("with one draw the explorer shows the single-seed run itself, and no band", () => {
  const one = compute(new Simulator(), NARROW, 1);
  const alone = new Simulator().run({ ...NARROW, bins: 41 });
  assert.deepEqual(one.sim, alone);
  assert.equal(one.band, null);
  assert.equal(medianRun([alone]), alone);
});

test("with k draws the band holds every draw's line and the median is each layer's middle draw", () => {
  const k = 5, shown = compute([], NARROW, k);
  const singles = Array.from({ length: k }, (_, i) => new Simulator().run({ ...NARROW, seed: NARROW.seed + i, bins: 41 }));
  assert.equal(shown.sim.draws, k);
  let differ = 0;
  for (const key of ["pre_std", "grad_std"]) {
    for (let l = 0; l < NARROW.depth; l++) {
      const ys = singles.map((s) => s[key][l]).sort((a, b) => a - b);
      assert.equal(shown.band[key].lo[l], ys[0]);
      assert.equal(shown.band[key].hi[l], ys[k - 1]);
      assert.equal(shown.sim[key][l], ys[2]);                    // the median of 5
      for (const s of singles) assert.ok(ys[0] <= s[key][l] && s[key][l] <= ys[k - 1]);
      if (ys[k - 1] > 1.5 * ys[0]) differ++;
    }
  }
  assert.ok(differ > 10, "the draws should differ at width 8");   // else the band tests nothing
  assert.equal(shown.sim.ratio, shown.sim.pre_std[29] / shown.sim.pre_std[0]);   // the verdict reads the median line
  assert.deepEqual(drawBand(singles), shown.band);
});

test("the median of draws that overflow is an overflow where most of them do", () => {
  const big = checkState({ activation: "linear", init: "he_normal", depth: 100, width: 16, scale: 30, batch: 32, seed: 0 });
  const shown = compute([], big, 3);
  assert.ok(shown.sim.overflow_layer !== null && shown.verdict.startsWith("overflow"), shown.verdict);
});

test("draws outside 1 to 10 are refused with the range", () => {
  assert.throws(() => compute([], NARROW, 0), /draws must be an integer from 1 to 10, got 0/);
  assert.throws(() => compute([], NARROW, 11), /from 1 to 10/);
});

test("the heat strip says what its y axis shows, bounded or not", () => {
  assert.match(heatNote({ bounded: true, lo: -1, hi: 1 }, "tanh"), /a on tanh's whole range \[-1, 1\]/);
  assert.match(heatNote({ bounded: false, lo: -3, hi: 3 }, "relu"), /a ÷ its std at layer 1 \(relu has no fixed range\)/);
});
