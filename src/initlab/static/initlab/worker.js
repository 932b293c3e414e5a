// The explorer's worker: runs simulate, the theory and the verdict off the page's main thread,
// keeping its sampled network between messages. Message in: {id, state}; out: {id, ...result}.
import { compute } from "./explorer.js";
import { Simulator } from "./simulate.js";

const simulator = new Simulator();
self.onmessage = (e) => {
  const { id, state } = e.data;
  try {
    self.postMessage({ id, ...compute(simulator, state) });
  } catch (err) {
    self.postMessage({ id, error: err.message });
  }
};
