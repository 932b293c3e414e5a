/**
 * Seeded random numbers for the in-page engine: xoshiro128** (Blackman & Vigna 2018), a 32-bit
 * generator that is fast in JavaScript, seeded through splitmix32 from (seed, stream).
 *
 * Each stream is independent of the others, so a network's layer l always gets the same weights
 * for a seed, whatever the depth: the explorer redraws only what the reader changed.
 *
 * >>> const r = new Rng(0, 1); r.normal()   // the same number on every run and every browser
 */

/** splitmix32's output function: a 32-bit integer hash with full avalanche. */
function mix32(x) {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Rng {
  /**
   * @param {number} seed an integer 0 <= seed < 2**53
   * @param {number} stream an integer 0 <= stream < 2**32 (e.g. the layer number)
   */
  constructor(seed, stream = 0) {
    const lo = seed >>> 0, hi = Math.floor(seed / 4294967296) >>> 0;
    let h = mix32(lo ^ mix32(hi ^ mix32(stream >>> 0)));
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      h = mix32(h + i);
      this.s[i] = h;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spare = NaN;
  }

  /** The next 32 random bits, as an unsigned integer. */
  u32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9);
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result >>> 0;
  }

  /** Uniform on [0, 1) with 24 random bits: the resolution of numpy's float32 ``random``. */
  random() {
    return (this.u32() >>> 8) * 5.9604644775390625e-8; // 2**-24
  }

  /** Uniform on (0, 1) with 53 random bits, for the normal sampler. */
  random53() {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6) + 0.5) * 1.1102230246251565e-16;
  }

  /** A standard normal draw (Marsaglia's polar method, which yields two draws per pair). */
  normal() {
    if (this.spare === this.spare) { // not NaN
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u, v, s;
    do {
      u = 2 * this.random53() - 1;
      v = 2 * this.random53() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt(-2 * Math.log(s) / s);
    this.spare = v * f;
    return u * f;
  }

  /** A standard normal conditioned on [-2, 2], by rejection (95.4 % of draws are kept). */
  truncatedNormal() {
    let z;
    do { z = this.normal(); } while (z > 2 || z < -2);
    return z;
  }
}

function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}
