/**
 * The two matrix products of a simulation, on float32 matrices in one linear memory:
 *
 *   mm(a, w, out, rows, S, scale):   out = scale · a W      (the forward pass, z_l = a_{l-1} W_l)
 *   mmT(g, w, out, rows, S, scale):  out = scale · g Wᵀ     (the backward pass)
 *
 * Every matrix is stored row by row with a row stride of S floats (S a multiple of 4, rows a
 * multiple of 4; the engine pads with zeros), and its offset is in bytes.
 *
 * They run as a WebAssembly module with 128-bit SIMD (4 float32 lanes, accumulated in float32 as
 * numpy's float32 BLAS does), several times faster than the same loops in JavaScript. The module
 * is a few hundred bytes, assembled below from the instruction listing in the comments, so the page
 * needs no build step and no download. Where WebAssembly SIMD is missing, plain JavaScript loops
 * (accumulating in float64) do the same work: ``new Heap({wasm: false})`` selects them.
 */

// ---------------------------------------------------------------------------------------------
// A tiny assembler for the WebAssembly binary format (https://webassembly.github.io/spec/).

const uleb = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return b; };
const sleb = (n) => { const b = []; for (;;) { const x = n & 0x7f; n >>= 7; if ((n === 0 && !(x & 0x40)) || (n === -1 && (x & 0x40))) { b.push(x); return b; } b.push(x | 0x80); } };
const vec = (items) => [...uleb(items.length), ...items.flat()];
const str = (s) => vec([...s].map((c) => c.charCodeAt(0)));
const section = (id, body) => [id, ...uleb(body.length), ...body];
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

const get = (i) => [0x20, i], set = (i) => [0x21, i], tee = (i) => [0x22, i];
const i32 = (v) => [0x41, ...sleb(v)];
const ADD = [0x6a], MUL = [0x6c], SHL = [0x74], LT_U = [0x49];
const LOOP = [0x03, 0x40], END = [0x0b], BR_IF0 = [0x0d, 0];
const F32_LOAD = [0x2a, 2, 0], F32_STORE = [0x38, 2, 0], F32_ADD = [0x92], F32_MUL = [0x94];
const V_LOAD = [0xfd, 0x00, 4, 0], V_STORE = [0xfd, 0x0b, 4, 0];
const V_ZERO = [0xfd, 0x0c, ...new Array(16).fill(0)];
const SPLAT = [0xfd, 0x13], V_ADD = [0xfd, 0xe4, 0x01], V_MUL = [0xfd, 0xe6, 0x01];
const LANE = (k) => [0xfd, 0x1f, k];

// Parameters 0 a|g, 1 w, 2 out, 3 rows, 4 S, 5 scale (f32). Locals: 6 rs = 4S (a row in bytes),
// 7 i (byte offset of the current block of 4 rows), 8 j, 9 k (byte offsets within a row),
// 10 p (a pointer into w), 11-14 b0..b3 (the 4 rows), 15 end = rows·rs, 16 o (output pointer),
// then v128 17-20 acc0..acc3, 21 wv (4 weights), 22 sv (scale in 4 lanes).
const [A, W, OUT, ROWS, S, SCALE, RS, I, J, K, P, B0, END_, O, ACC, WV, SV] =
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 17, 21, 22];
const LOCALS = vec([[...uleb(11), I32], [...uleb(6), V128]]);
const prologue = [...get(S), ...i32(2), ...SHL, ...set(RS), ...get(ROWS), ...get(RS), ...MUL, ...set(END_)];
const rowPointers = [...get(A), ...get(I), ...ADD, ...set(B0),                  // b0 = a + i
  ...[1, 2, 3].flatMap((r) => [...get(B0 + r - 1), ...get(RS), ...ADD, ...set(B0 + r)])]; // b_r = b_{r-1} + rs
const zeroAcc = [0, 1, 2, 3].flatMap((r) => [...V_ZERO, ...set(ACC + r)]);
const nextRowBlock = [...get(I), ...get(RS), ...i32(2), ...SHL, ...ADD, ...tee(I), ...get(END_), ...LT_U, ...BR_IF0];
const step = (v, by) => [...get(v), ...by, ...ADD, ...tee(v), ...get(RS), ...LT_U, ...BR_IF0];

// mm: for each block of 4 rows i, for each 4 columns j: acc_r = Σ_k splat(a[i+r][k]) · w[k][j..j+3]
const mmBody = [...prologue, ...get(SCALE), ...SPLAT, ...set(SV),
  ...LOOP, ...rowPointers, ...i32(0), ...set(J),
  ...LOOP, ...zeroAcc, ...get(W), ...get(J), ...ADD, ...set(P), ...i32(0), ...set(K),
  ...LOOP, ...get(P), ...V_LOAD, ...set(WV),
  ...[0, 1, 2, 3].flatMap((r) => [...get(ACC + r), ...get(B0 + r), ...get(K), ...ADD, ...F32_LOAD, ...SPLAT,
    ...get(WV), ...V_MUL, ...V_ADD, ...set(ACC + r)]),
  ...get(P), ...get(RS), ...ADD, ...set(P), ...step(K, i32(4)), ...END,
  ...get(OUT), ...get(I), ...ADD, ...get(J), ...ADD, ...set(O),
  ...[0, 1, 2, 3].flatMap((r) => [...(r ? [...get(O), ...get(RS), ...ADD, ...set(O)] : []),
    ...get(O), ...get(ACC + r), ...get(SV), ...V_MUL, ...V_STORE]),
  ...step(J, i32(16)), ...END,
  ...nextRowBlock, ...END, ...END];

// mmT: for each block of 4 rows i, for each k: out[i+r][k] = scale · Σ_j g[i+r][j..j+3] · w[k][j..j+3]
const hsum = (v) => [...get(v), ...LANE(0), ...get(v), ...LANE(1), ...F32_ADD, ...get(v), ...LANE(2), ...F32_ADD,
  ...get(v), ...LANE(3), ...F32_ADD];
const mmTBody = [...prologue,
  ...LOOP, ...rowPointers, ...i32(0), ...set(K), ...get(W), ...set(P),
  ...LOOP, ...zeroAcc, ...i32(0), ...set(J),
  ...LOOP, ...get(P), ...get(J), ...ADD, ...V_LOAD, ...set(WV),
  ...[0, 1, 2, 3].flatMap((r) => [...get(ACC + r), ...get(B0 + r), ...get(J), ...ADD, ...V_LOAD,
    ...get(WV), ...V_MUL, ...V_ADD, ...set(ACC + r)]),
  ...step(J, i32(16)), ...END,
  ...get(OUT), ...get(I), ...ADD, ...get(K), ...ADD, ...set(O),
  ...[0, 1, 2, 3].flatMap((r) => [...(r ? [...get(O), ...get(RS), ...ADD, ...set(O)] : []),
    ...get(O), ...hsum(ACC + r), ...get(SCALE), ...F32_MUL, ...F32_STORE]),
  ...get(P), ...get(RS), ...ADD, ...set(P), ...step(K, i32(4)), ...END,
  ...nextRowBlock, ...END, ...END];

const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                      // "\0asm", version 1
  ...section(1, vec([[0x60, ...vec([I32, I32, I32, I32, I32, F32]), ...vec([])]])),
  ...section(2, vec([[...str("env"), ...str("mem"), 0x02, 0x00, 0x01]])), // memory, min 1 page
  ...section(3, vec([[0], [0]])),
  ...section(7, vec([[...str("mm"), 0x00, 0], [...str("mmT"), 0x00, 1]])),
  ...section(10, vec([mmBody, mmTBody].map((body) => {
    const code = [...LOCALS, ...body];
    return [...uleb(code.length), ...code];
  }))),
]);

/** True when this JavaScript engine runs WebAssembly with SIMD. */
export const HAS_WASM_SIMD = (() => {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(MODULE);
  } catch (e) {
    return false;
  }
})();

const PAGE = 65536;

/**
 * A growable float32 memory with the two products. ``heap.reserve(bytes)`` before a run; then
 * ``heap.f32`` is a Float32Array over all of it (renewed whenever the memory grows).
 */
export class Heap {
  constructor({ wasm = HAS_WASM_SIMD } = {}) {
    this.wasm = wasm && HAS_WASM_SIMD;
    if (this.wasm) {
      this.memory = new WebAssembly.Memory({ initial: 1 });
      const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE), { env: { mem: this.memory } });
      this.mm = instance.exports.mm;
      this.mmT = instance.exports.mmT;
      this.f32 = new Float32Array(this.memory.buffer);
    } else {
      this.f32 = new Float32Array(PAGE / 4);
      this.mm = (a, w, out, rows, s, scale) => jsMatmul(this.f32, a >> 2, w >> 2, out >> 2, rows, s, scale, false);
      this.mmT = (g, w, out, rows, s, scale) => jsMatmul(this.f32, g >> 2, w >> 2, out >> 2, rows, s, scale, true);
    }
  }

  /** Make at least ``bytes`` of memory available, keeping the contents. */
  reserve(bytes) {
    if (bytes <= this.f32.byteLength) return;
    if (this.wasm) {
      this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE));
      this.f32 = new Float32Array(this.memory.buffer);
    } else {
      const grown = new Float32Array(Math.ceil(bytes / PAGE) * PAGE / 4);
      grown.set(this.f32);
      this.f32 = grown;
    }
  }
}

/** The JavaScript fallback of mm (transpose = false) and mmT (true); offsets in floats. */
function jsMatmul(f, a, w, out, rows, s, scale, transpose) {
  const acc = new Float64Array(s);
  for (let i = 0; i < rows; i++) {
    const ai = a + i * s;
    if (transpose) {               // out[i][k] = Σ_j g[i][j] w[k][j]
      for (let k = 0; k < s; k++) {
        const wk = w + k * s;
        let sum = 0;
        for (let j = 0; j < s; j++) sum += f[ai + j] * f[wk + j];
        acc[k] = sum;
      }
    } else {                       // out[i][j] = Σ_k a[i][k] w[k][j]
      acc.fill(0);
      for (let k = 0; k < s; k++) {
        const aik = f[ai + k];
        if (aik === 0) continue;
        const wk = w + k * s;
        for (let j = 0; j < s; j++) acc[j] += aik * f[wk + j];
      }
    }
    const oi = out + i * s;
    for (let j = 0; j < s; j++) f[oi + j] = scale * acc[j];
  }
}
