// Init Lab in the page: publishes the engine as window.InitLab and starts every explorer.
// Loaded on every page of the book as a module (book/_ext/initlab_explorer.py).
import * as engine from "./engine.js";
import { Explorer, bootExplorers, checkState, INITS } from "./explorer.js";

const explorers = [];
window.InitLab = Object.freeze({ ...engine, Explorer, INITS, checkExplorerState: checkState, explorers });
explorers.push(...bootExplorers(document));
