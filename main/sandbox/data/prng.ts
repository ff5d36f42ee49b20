/**
 * Small, fast, seedable randomness. Everything the generator produces is a pure function of the
 * seed and a few integer coordinates (channel index, message slot …), so any channel can be
 * regenerated on its own, in any order, without holding the dataset in memory.
 */

/** splitmix32-style finaliser: a good 32-bit avalanche. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** Hash of several integers to an unsigned 32-bit integer. */
export function hash(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = mix32(h ^ mix32(p | 0) ^ Math.imul((p / 4294967296) | 0, 0x9e3779b1));
  return h;
}

/** Uniform [0, 1) from integer coordinates (random access, no state). */
export function hashFloat(...parts: number[]): number {
  return hash(...parts) / 4294967296;
}

/** Sequential generator (sfc32), seeded from integer coordinates. */
export class Rng {
  a: number;
  b: number;
  c: number;
  d: number;
  constructor(...seedParts: number[]) {
    this.a = hash(0xa, ...seedParts);
    this.b = hash(0xb, ...seedParts);
    this.c = hash(0xc, ...seedParts);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.next() * arr.length)];
  }
  /** Geometric-ish count with the given mean (≥ 0). */
  geometric(mean: number): number {
    if (mean <= 0) return 0;
    const p = 1 / (mean + 1);
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }
  /** k distinct indices out of n (k ≤ n). */
  sample(n: number, k: number): number[] {
    k = Math.min(k, n);
    if (k * 3 > n) {
      const all = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(this.next() * (n - i));
        [all[i], all[j]] = [all[j], all[i]];
      }
      return all.slice(0, k);
    }
    const seen = new Set<number>();
    while (seen.size < k) seen.add(Math.floor(this.next() * n));
    return [...seen];
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(x: number): string {
  return HEX[(x >>> 24) & 255] + HEX[(x >>> 16) & 255] + HEX[(x >>> 8) & 255] + HEX[x & 255];
}

/** A UUID v4-formatted id derived from integer coordinates (deterministic). */
export function uuidFrom(...parts: number[]): string {
  const a = hash(1, ...parts);
  const b = hash(2, ...parts);
  const c = hash(3, ...parts);
  const d = hash(4, ...parts);
  const h = hex32(a) + hex32(b) + hex32(c) + hex32(d);
  const variant = '89ab'[d & 3];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A short hex digest (for `!members-…` ids and the like). */
export function hexFrom(len: number, ...parts: number[]): string {
  let s = '';
  let i = 0;
  while (s.length < len) s += hex32(hash(i++, ...parts));
  return s.slice(0, len);
}

/** FNV-1a of a string, for seeding from names. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
