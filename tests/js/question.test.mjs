// The page's predict-then-check judge on its own, in Node: `node --test tests/js/`. That it judges
// every question exactly as initlab.questions does is tested in tests/test_questions.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { judge, parseNumber } from "../../src/initlab/static/initlab/question.js";

const number = {
  id: "t", kind: "number", answer: 0.5, rtol: 0.05, explanation: "half.", hint: "think again.",
  mistakes: [{ value: 0.25, message: "that is the square." }],
};
const choice = {
  id: "c", kind: "choice", answer: "b", explanation: "",
  options: [{ key: "a", label: "A", message: "not a." }, { key: "b", label: "B", message: "b it is." }],
};

test("numbers may be typed as decimals, exponents, fractions and powers", () => {
  assert.equal(parseNumber("0.25").value, 0.25);
  assert.equal(parseNumber(" 3e-7 ").value, 3e-7);
  assert.equal(parseNumber("1/6").value, 1 / 6);
  assert.equal(parseNumber("2^25").value, 2 ** 25);
  assert.equal(parseNumber("2**25").value, 2 ** 25);
  assert.equal(parseNumber("3.4×10^7").value, 3.4e7);
  assert.equal(parseNumber("3.4 x 10^-7").value, 3.4e-7);
  assert.equal(parseNumber("\u22120.5").value, -0.5);               // a typographic minus
});

test("what is not a finite number is refused with a message naming what is valid", () => {
  assert.match(parseNumber("").error, /^type a number first, such as 0.25/);
  assert.match(parseNumber("abc").error, /^'abc' is not a number: type one such as/);
  assert.match(parseNumber("0,5").error, /^write 0.5 with a decimal point/);
  assert.match(parseNumber("1/0").error, /^'1\/0' is not a finite number/);
  assert.match(parseNumber("1e400").error, /is not a finite number/);
  assert.match(parseNumber("(-8)^(1/3)").error, /is not a number/);
});

test("a number is right within its tolerance, a known mistake gets its message", () => {
  assert.deepEqual(judge(number, "0.51"), { passed: true, message: "right: half." });
  assert.deepEqual(judge(number, 0.25), { passed: false, message: "that is the square." });
  assert.deepEqual(judge(number, "0.9"), { passed: false, message: "too large: think again." });
  assert.deepEqual(judge(number, "0.1"), { passed: false, message: "too small: think again." });
  assert.equal(judge(number, NaN).passed, false);
  assert.match(judge(number, null).message, /^answer with one number/);
});

test("a choice is judged by its key or its number, and a missing option is named", () => {
  assert.deepEqual(judge(choice, "b"), { passed: true, message: "right: b it is." });
  assert.deepEqual(judge(choice, 1), { passed: false, message: "not a." });
  assert.deepEqual(judge(choice, "2"), { passed: true, message: "right: b it is." });
  assert.equal(judge(choice, "c").message, "choose one of the options by its name or number (1 = a; 2 = b); got 'c'");
  assert.equal(judge(choice, 3).message, "choose one of the options by its name or number (1 = a; 2 = b); got 3");
});

test("a spec that is no question is a TypeError", () => {
  assert.throws(() => judge({ kind: "essay" }, "x"), { name: "TypeError", message: /kind "number" or "choice"/ });
});
