// The explorer's worker: runs simulate, the theory and the verdict off the page's main thread,
// keeping its sampled networks (one per draw) between messages. Message in: {id, state, draws}; out: {id, ...result}.
import { compute } from "./explorer.js";

const simulators = [];   // one per draw, filled by compute
self.onmessage = (e) => {
  const { id, state, draws = 1 } = e.data;
  try {
    self.postMessage({ id, ...compute(simulators, state, draws) });
  } catch (err) {
    self.postMessage({ id, error: err.message });
  }
};
