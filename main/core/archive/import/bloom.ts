/**
 * A Bloom filter over 52-bit keys (message id hashes; mixed time keys during a bulk load):
 * "certainly not in the archive" lets the writer skip the index probe for new messages — at
 * millions of messages those probes are random page reads. A positive only means "look it up".
 */
export class IdBloom {
  private bits: Uint32Array;
  private blockMask: number;

  constructor(expected: number) {
    // ≈ 12 bits per key in 512-bit blocks (a power of two of them).
    const blocks = Math.min(2 ** 22, Math.max(2 ** 11, 2 ** Math.ceil(Math.log2(Math.max(1, expected) * 12 / 512))));
    this.blockMask = blocks - 1;
    this.bits = new Uint32Array(blocks * 16);
  }

  add(h: number) {
    this.probe(h, true);
  }

  mayHave(h: number): boolean {
    return this.probe(h, false);
  }

  // Blocked filter: the low 32 bits of the 52-bit hash pick a 64-byte block, three bits inside it
  // come from the rest — one cache miss per probe instead of three (at millions of messages the
  // filters are far larger than the CPU caches). `>>> 0` is exact for integers below 2^53.
  // (Called millions of times per import: no loop, no allocation.)
  private probe(h: number, set: boolean): boolean {
    const lo = h >>> 0;
    // The top bits of a product depend on every bit below them: positions independent of the block.
    const x = Math.imul(lo ^ ((h / 0x100000000) >>> 0), 0x9e3779b1);
    const base = (lo & this.blockMask) << 4;
    const p1 = x >>> 23, p2 = (x >>> 14) & 511, p3 = (x >>> 5) & 511;
    const w = this.bits;
    if (set) {
      w[base + (p1 >>> 5)] |= 1 << (p1 & 31);
      w[base + (p2 >>> 5)] |= 1 << (p2 & 31);
      w[base + (p3 >>> 5)] |= 1 << (p3 & 31);
      return true;
    }
    return (w[base + (p1 >>> 5)] & (1 << (p1 & 31))) !== 0
      && (w[base + (p2 >>> 5)] & (1 << (p2 & 31))) !== 0
      && (w[base + (p3 >>> 5)] & (1 << (p3 & 31))) !== 0;
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
