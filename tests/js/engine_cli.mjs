// Run the page's engine from Python: read a JSON list of calls on stdin, print a JSON list of
// results. A call is {"fn": name, "args": [...]} for any export of engine.js, or
// {"fn": "simulateVerdict", "args": [options]} for simulate and its verdict at once, or
// {"fn": "explore", "args": [state, draws]} for what the explorer shows for a state. Infinity and
// NaN, which JSON lacks, travel as the strings "Infinity", "-Infinity" and "NaN"; typed arrays as
// lists. An exception becomes {"error": message, "name": class}.
import * as E from "../../src/initlab/static/initlab/engine.js";
import { checkState, compute } from "../../src/initlab/static/initlab/explorer.js";

const revive = (k, v) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v === "NaN" ? NaN : v);
const encode = (k, v) => {
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return v;
};

const calls = {
  ...E,
  simulateVerdict: (options) => { const sim = E.simulate(options); return { ...sim, verdict: E.verdict(sim) }; },
  explore: (state, draws = 1) => compute([], checkState(state), draws),
  kernelsAgree: (options) => {   // the same run with the WebAssembly and the JavaScript products
    const a = new E.Simulator({ wasm: true }).run(options), b = new E.Simulator({ wasm: false }).run(options);
    return { wasm: a, js: b, simd: E.HAS_WASM_SIMD };
  },
};

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const out = JSON.parse(input, revive).map(({ fn, args }) => {
    try {
      const f = calls[fn];
      const value = typeof f === "function" ? f(...args) : f;   // a function, or a constant
      return value instanceof Object && !Array.isArray(value) ? { ...value } : { value };
    } catch (e) {
      return { error: e.message, name: e.constructor.name };
    }
  });
  process.stdout.write(JSON.stringify(out, encode));
});
