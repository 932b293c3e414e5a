/**
 * Python's number formatting (``format(x, ".2g")``, ``".0e"``, ``".3g"``, ``".0%"``, ``".4g"``),
 * so that the page's verdicts read exactly as ``initlab.widgets.verdict`` prints them.
 *
 * Python rounds the exact binary value half to even; JavaScript's ``toExponential`` and
 * ``toFixed`` round exact ties up. Ties are detected exactly (a double that is a tie has a short
 * exact decimal expansion) and rounded to even.
 *
 * >>> pyFormat(0.125, ".2g")   // "0.12", as Python, where (0.125).toPrecision(2) is "0.13"
 */

/** The first ``p`` significant digits of x > 0, rounded half to even, and the decimal exponent. */
function significant(x, p) {
  const long = x.toExponential(Math.min(p + 20, 100));
  const [mant, e] = long.split("e");
  const digits = mant.replace(".", "");
  if (digits[p] === "5" && /^0*$/.test(digits.slice(p + 1))) {     // an exact tie
    let kept = digits.slice(0, p), exp = Number(e);
    if (Number(kept[p - 1]) % 2 === 1) {
      kept = String(BigInt(kept) + 1n);
      if (kept.length > p) { kept = kept.slice(0, p); exp += 1; }
    }
    return [kept, exp];
  }
  const [m, e2] = x.toExponential(p - 1).split("e");
  return [m.replace(".", ""), Number(e2)];
}

/** x with ``places`` decimals, rounded half to even (x >= 0). */
function fixed(x, places) {
  if (x >= 1e21) return BigInt(x).toString() + (places ? "." + "0".repeat(places) : ""); // an integer
  const long = x.toFixed(Math.min(places + 20, 100));
  const point = long.indexOf(".");
  const tail = long.slice(point + 1 + places);
  if (tail[0] === "5" && /^0*$/.test(tail.slice(1))) {
    const kept = long.slice(0, point + 1 + places).replace(/\.$/, "");
    const last = Number(kept[kept.length - 1]);
    if (last % 2 === 0) return kept;
  }
  return x.toFixed(places);
}

const expo = (e) => (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");

/** Format a number as Python's ``format(x, spec)`` for spec ".Ng", ".Ne", ".Nf" or ".N%". */
export function pyFormat(x, spec) {
  const m = /^\.(\d+)([gef%])$/.exec(spec);
  if (!m) throw new Error(`pyFormat supports the specs .Ng, .Ne, .Nf and .N%; got ${JSON.stringify(spec)}`);
  let prec = Number(m[1]);
  const type = m[2];
  if (Number.isNaN(x)) return "nan" + (type === "%" ? "%" : "");
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  let a = Math.abs(x);
  if (type === "%") a *= 100;
  if (a === Infinity) return sign + "inf" + (type === "%" ? "%" : "");
  if (type === "f" || type === "%") return sign + fixed(a, prec) + (type === "%" ? "%" : "");
  if (type === "e") {
    const [d, e] = a === 0 ? ["0".repeat(prec + 1), 0] : significant(a, prec + 1);
    return sign + d[0] + (prec ? "." + d.slice(1) : "") + "e" + expo(e);
  }
  prec = prec || 1;                                              // "g"
  if (a === 0) return sign + "0";
  const [d, e] = significant(a, prec);
  let out;
  if (e >= -4 && e < prec) {
    out = e >= 0 ? d.slice(0, e + 1).padEnd(e + 1, "0") + "." + d.slice(e + 1)
                 : "0." + "0".repeat(-e - 1) + d;
    out = out.replace(/0+$/, "").replace(/\.$/, "");
  } else {
    const frac = d.slice(1).replace(/0+$/, "");
    out = d[0] + (frac ? "." + frac : "") + "e" + expo(e);
  }
  return sign + out;
}
