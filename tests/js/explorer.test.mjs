// The explorer's pure parts, in Node: `node --test tests/js/` (run by the Python suite too).
import assert from "node:assert/strict";
import { test } from "node:test";

import { stdLimits } from "../../src/initlab/static/initlab/explorer.js";
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
