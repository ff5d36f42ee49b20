/**
 * A Bloom filter over message id hashes: "certainly not in the archive" lets the writer skip the
 * index probe for new messages — at millions of messages those probes are random page reads.
 * A positive only means "look it up".
 */
export class IdBloom {
  private bits: Uint32Array;
  private m: number;

  constructor(expected: number) {
    this.m = Math.min(2 ** 31, Math.max(1 << 20, Math.ceil(expected * 12)));
    this.bits = new Uint32Array(Math.ceil(this.m / 32));
  }

  // Three positions from two independent parts of the 52-bit hash (Kirsch–Mitzenmacher). Plain
  // float arithmetic: bitwise operators would truncate to signed 32 bits.
  private *positions(h: number) {
    const a = h % 0x100000000;
    let b = Math.floor(h / 0x100000) % 0x100000000;
    if (b % 2 === 0) b += 1;
    for (let i = 0; i < 3; i++) yield (a + i * b) % this.m;
  }

  add(h: number) {
    for (const p of this.positions(h)) this.bits[p >>> 5] |= 1 << (p & 31);
  }

  mayHave(h: number): boolean {
    for (const p of this.positions(h)) if (!(this.bits[p >>> 5] & (1 << (p & 31)))) return false;
    return true;
  }
}
