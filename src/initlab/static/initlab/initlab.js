// Init Lab in the page: publishes the engine as window.InitLab and starts every explorer,
// playground and predict-then-check question. Loaded on every page of the book as a module
// (book/_ext/initlab_explorer.py).
import * as engine from "./engine.js";
import { Explorer, bootExplorers, checkState, INITS } from "./explorer.js";
import { Playground, bootPlaygrounds, checkPlaygroundState } from "./playground.js";
import { Question, bootQuestions, judge as judgeQuestion, parseNumber } from "./question.js";

const explorers = [], playgrounds = [], questions = [];
window.InitLab = Object.freeze({ ...engine, Explorer, INITS, checkExplorerState: checkState, explorers,
  Playground, checkPlaygroundState, playgrounds, Question, judgeQuestion, parseNumber, questions });
questions.push(...bootQuestions(document));
explorers.push(...bootExplorers(document));
playgrounds.push(...bootPlaygrounds(document));
