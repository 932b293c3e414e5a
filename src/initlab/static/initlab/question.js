/**
 * Predict, then check, in the page: the judge of ``initlab.questions`` in JavaScript, and the form
 * that each ``{initlab-question}`` directive becomes. The question's definition (its spec, with the
 * answer and the targeted messages) is embedded as JSON when the book is built, so the page and
 * ``questions.check`` in a notebook judge alike, in the same words (tests/test_questions.py).
 *
 * >>> judge(spec, "2^25")          // spec: the JSON of initlab.questions.spec(id)
 * {passed: true, message: "right: each block multiplies E[x²] by 1 + α² = 2, ..."}
 * >>> parseNumber("0,5")
 * {value: null, error: "write 0.5 with a decimal point, not a comma ('0,5')"}
 */

export const EXAMPLES = "0.25, 3e-7, 1/6, 2^25, 1/√2, 4% or 3.4×10^7";
const NUM = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)`;
const NUM_E = String.raw`${NUM}(?:[eE][+-]?\d+)?`;
// A term is a number or its square root: sqrt(x), √(x) or √x.
const TERM = String.raw`(?:(?:sqrt|√)\s*\(\s*${NUM_E}\s*\)|√\s*${NUM_E}|${NUM_E})`;
const NUMBER = new RegExp(String.raw`^(${TERM})(?:\s*(/|\^|\*\*)\s*(${TERM}))?$`);
const TERM_NUMBER = new RegExp(NUM_E);

/** The value of one term of a typed number: a number, or the square root of one (NaN below 0). */
function term(text) {
  const x = Number(TERM_NUMBER.exec(text)[0]);
  if (text[0] !== "s" && text[0] !== "√") return x;
  return x >= 0 ? Math.sqrt(x) : NaN;
}
const TIMES_TEN = new RegExp(String.raw`^(${NUM})\s*[x×*·]\s*10\s*(?:\^|\*\*)\s*([+-]?\d+)$`);
const COMMA = /^[+-]?\d+,\d+$/;

/** Python's repr of a string, for the messages (single quotes unless the text has one). */
function quoted(text) {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), "\\" + quote);
  return quote + body + quote;
}

/** A typed number: {value, error: null}, or {value: null, error} naming what is valid. */
export function parseNumber(input) {
  const text = String(input).trim().replace(/\u2212/g, "-");
  if (!text) return { value: null, error: `type a number first, such as ${EXAMPLES}` };
  if (text.endsWith("%")) {
    const parsed = parseNumber(text.slice(0, -1));
    return parsed.error ? parsed : { value: parsed.value / 100, error: null };
  }
  if (COMMA.test(text)) {
    return { value: null, error: `write ${text.replace(",", ".")} with a decimal point, not a comma (${quoted(text)})` };
  }
  let value, m = TIMES_TEN.exec(text);
  if (m) {
    value = Number(`${m[1]}e${m[2]}`);
  } else {
    m = NUMBER.exec(text);
    if (!m) return { value: null, error: `${quoted(text)} is not a number: type one such as ${EXAMPLES}` };
    const a = term(m[1]);
    if (m[2] === undefined) value = a;
    else if (m[2] === "/") value = term(m[3]) !== 0 ? a / term(m[3]) : NaN;
    else value = Math.pow(a, term(m[3]));
  }
  if (!Number.isFinite(value)) {
    return { value: null, error: `${quoted(text)} is not a finite number: type one such as ${EXAMPLES}` };
  }
  return { value, error: null };
}

const near = (x, target, rtol) => Math.abs(x - target) <= rtol * Math.abs(target);

function judgeNumber(spec, answer) {
  let value;
  if (typeof answer === "string") {
    const parsed = parseNumber(answer);
    if (parsed.error) return { passed: false, message: parsed.error };
    value = parsed.value;
  } else if (typeof answer === "number") {
    if (!Number.isFinite(answer)) {
      const shown = Number.isNaN(answer) ? "nan" : answer > 0 ? "inf" : "-inf";
      return { passed: false, message: `${shown} is not a finite number: type one such as ${EXAMPLES}` };
    }
    value = answer;
  } else {
    return { passed: false, message: "answer with one number (or a string such as '1/6'), not "
                                     + (answer === null ? "NoneType" : typeof answer) };
  }
  if (near(value, spec.answer, spec.rtol)) return { passed: true, message: "right: " + spec.explanation };
  for (const mistake of spec.mistakes) {
    if (near(value, mistake.value, spec.rtol)) return { passed: false, message: mistake.message };
  }
  return { passed: false, message: (value > spec.answer ? "too large" : "too small") + ": " + spec.hint };
}

function judgeChoice(spec, answer) {
  const keys = spec.options.map((o) => o.key);
  const valid = keys.map((k, i) => `${i + 1} = ${k}`).join("; ");
  let chosen = null;
  if (typeof answer === "string") {
    const text = answer.trim();
    if (keys.includes(text)) chosen = text;
    else if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= keys.length) chosen = keys[Number(text) - 1];
  } else if (Number.isInteger(answer) && answer >= 1 && answer <= keys.length) {
    chosen = keys[answer - 1];
  }
  if (chosen === null) {
    const got = typeof answer === "string" ? quoted(answer) : answer === null || answer === undefined ? "None" : String(answer);
    return { passed: false, message: `choose one of the options by its name or number (${valid}); got ${got}` };
  }
  const { message } = spec.options[keys.indexOf(chosen)];
  return chosen === spec.answer ? { passed: true, message: "right: " + message } : { passed: false, message };
}

/** Judge an answer (a string as typed, a number, or an option's key) against a question's spec. */
export function judge(spec, answer) {
  if (!spec || (spec.kind !== "number" && spec.kind !== "choice")) {
    throw new TypeError(`judge needs a question spec with kind "number" or "choice", got ${JSON.stringify(spec)}`);
  }
  return spec.kind === "number" ? judgeNumber(spec, answer) : judgeChoice(spec, answer);
}

function element(doc, tag, props = {}, children = []) {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

/** Turn one ``div.initlab-question`` into a form: an input (or radio buttons), Check, a verdict. */
export class Question {
  constructor(root) {
    this.root = root;
    this.spec = JSON.parse(root.dataset.spec);
    const doc = root.ownerDocument, id = this.spec.id;
    const verdict = element(doc, "p", { class: "ilq-verdict", role: "status", "aria-live": "polite", id: `${id}-verdict` });
    let field;
    if (this.spec.kind === "number") {
      this.input = element(doc, "input", { type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
                                           name: "answer", id: `${id}-answer`, "aria-describedby": `${id}-verdict` });
      field = element(doc, "label", { for: `${id}-answer`, class: "ilq-label", text: "Your prediction" });
      field = element(doc, "div", { class: "ilq-field" }, [field, this.input]);
    } else {
      field = element(doc, "fieldset", { class: "ilq-options", "aria-describedby": `${id}-verdict` },
                      [element(doc, "legend", { class: "ilq-label", text: "Your prediction" })]);
      this.spec.options.forEach((o, i) => {
        const radio = element(doc, "input", { type: "radio", name: `${id}-choice`, value: o.key, id: `${id}-option-${i + 1}` });
        field.append(element(doc, "label", { for: radio.id, class: "ilq-option" }, [radio, ` ${o.label}`]));
      });
    }
    const button = element(doc, "button", { type: "submit", class: "ilq-check", text: "Check" });
    this.form = element(doc, "form", { class: "ilq-form", novalidate: "" }, [field, button]);
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.check(); });
    this.verdict = verdict;
    root.querySelector(".ilq-static-options")?.remove();
    const answer = root.querySelector(".ilq-answer");
    root.insertBefore(this.form, answer);
    root.insertBefore(verdict, answer);
    root.classList.add("ilq-ready");
  }

  /** The current answer: the typed text, or the chosen option's key (null if none). */
  value() {
    if (this.spec.kind === "number") return this.input.value;
    const chosen = this.form.querySelector("input[type=radio]:checked");
    return chosen ? chosen.value : null;
  }

  check() {
    const answer = this.value();
    const { passed, message } = answer === null
      ? { passed: false, message: "choose one of the options first" } : judge(this.spec, answer);
    this.verdict.textContent = `${passed ? "✔" : "✘"} ${message}`;
    this.verdict.classList.toggle("ilq-right", passed);
    this.verdict.classList.toggle("ilq-wrong", !passed);
    this.root.dataset.verdict = passed ? "right" : "wrong";
    return { passed, message };
  }
}

/** Start every question of a document; returns them. */
export function bootQuestions(doc) {
  return [...doc.querySelectorAll(".initlab-question[data-spec]")].map((root) => new Question(root));
}
