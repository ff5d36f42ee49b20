/**
 * A Bloom filter over 52-bit keys (message id hashes; mixed time keys during a bulk load):
 * "certainly not in the archive" lets the writer skip the index probe for new messages — at
 * millions of messages those probes are random page reads. A positive only means "look it up".
 */
export class IdBloom {
  private bits: Uint32Array;
  private m: number;

  constructor(expected: number) {
    this.m = Math.min(2 ** 31, Math.max(1 << 20, Math.ceil(expected * 12)));
    this.bits = new Uint32Array(Math.ceil(this.m / 32));
  }

  add(h: number) {
    this.probe(h, true);
  }

  mayHave(h: number): boolean {
    return this.probe(h, false);
  }

  // Three positions from two independent parts of the 52-bit hash (Kirsch–Mitzenmacher). Plain
  // float arithmetic: bitwise operators would truncate to signed 32 bits. (Called millions of
  // times per import: no generator, no allocation.)
  private probe(h: number, set: boolean): boolean {
    const m = this.m;
    const a = h % 0x100000000;
    let b = Math.floor(h / 0x100000) % 0x100000000;
    if (b % 2 === 0) b += 1;
    for (let i = 0; i < 3; i++) {
      const p = (a + i * b) % m;
      if (set) this.bits[p >>> 5] |= 1 << (p & 31);
      else if (!(this.bits[p >>> 5] & (1 << (p & 31)))) return false;
    }
    return true;
  }
}

/**
 * Spreads a numeric key (e.g. a time key: µs × 2, so always even, and clustered) over 52 bits so
 * the filter's positions are uniform. murmur3's 32-bit finalizer on each half.
 */
export function mixKey(n: number): number {
  const lo = n % 0x100000000;
  const hi = Math.floor(n / 0x100000000);
  const fmix = (x: number) => {
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
  };
  const a = fmix(lo ^ Math.imul(hi, 0x9e3779b1));
  const b = fmix(hi ^ Math.imul(a, 0x27d4eb2f));
  return a * 0x100000 + (b & 0xfffff);
}
