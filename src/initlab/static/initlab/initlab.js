// Init Lab in the page: publishes the engine as window.InitLab and starts every explorer and
// playground. Loaded on every page of the book as a module (book/_ext/initlab_explorer.py).
import * as engine from "./engine.js";
import { Explorer, bootExplorers, checkState, INITS } from "./explorer.js";
import { Playground, bootPlaygrounds, checkPlaygroundState } from "./playground.js";

const explorers = [];
const playgrounds = [];
window.InitLab = Object.freeze({ ...engine, Explorer, INITS, checkExplorerState: checkState, explorers,
  Playground, checkPlaygroundState, playgrounds });
explorers.push(...bootExplorers(document));
playgrounds.push(...bootPlaygrounds(document));
