/**
 * Input checks shared by the engine's modules. Every error names what is valid, as the Python
 * package's do.
 */

/** Levenshtein distance between two short strings. */
function distance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The valid name closest to ``key`` if it is similar enough (like difflib's cutoff 0.6), else null. */
export function closest(key, valid) {
  let best = null, score = 0.6;
  for (const v of valid) {
    const s = 1 - distance(key, v) / Math.max(key.length, v.length, 1);
    if (s >= score) { best = v; score = s; }
  }
  return best;
}

/** An integer >= minimum (and <= maximum if given), else a TypeError/RangeError naming the range. */
export function checkInt(name, value, minimum, maximum = Infinity) {
  const range = maximum === Infinity ? `>= ${minimum}` : `in [${minimum}, ${maximum}]`;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer ${range}, got ${describe(value)}`);
  }
  if (value < minimum || value > maximum) {
    throw new RangeError(`${name} must be an integer ${range}, got ${value}`);
  }
  return value;
}

/** A finite number > 0, else an error naming that rule. */
export function checkPositive(name, value, what) {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    const err = typeof value === "number" ? RangeError : TypeError;
    throw new err(`${name} must be a finite number > 0 (${what}), got ${describe(value)}`);
  }
  return value;
}

/** Refuse option names a function does not know, listing the ones it does. */
export function checkKeys(where, options, known) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${where} takes one options object with keys ${known.join(", ")}; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new TypeError(`${where}: unknown option '${key}'.${near ? ` Did you mean '${near}'?` : ""} `
                          + `Valid: ${known.join(", ")}.`);
    }
  }
}

export function describe(value) {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return Array.isArray(value) ? "an array" : "an object";
  return `${typeof value} ${String(value)}`;
}
