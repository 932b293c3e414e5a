// Init Lab in the page: publishes the engine as window.InitLab, starts every explorer and every
// predict-then-check question. Loaded on every page of the book as a module (book/_ext/initlab_explorer.py).
import * as engine from "./engine.js";
import { Explorer, bootExplorers, checkState, INITS } from "./explorer.js";
import { Question, bootQuestions, judge as judgeQuestion, parseNumber } from "./question.js";

const explorers = [], questions = [];
window.InitLab = Object.freeze({ ...engine, Explorer, INITS, checkExplorerState: checkState, explorers,
  Question, judgeQuestion, parseNumber, questions });
questions.push(...bootQuestions(document));
explorers.push(...bootExplorers(document));
