import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineScanner } from '../../main/core/archive/import/line-scan.ts';
import { type FileReadOptions, readLines, readLinesFromFile } from '../../main/core/archive/import/read-lines.ts';
import { readV1 } from '../../main/core/archive/import/read-v1.ts';
import { Normalizer } from '../../main/core/archive/import/normalize.ts';
import type { Batch } from '../../main/core/archive/import/records.ts';
import { createDataset } from '../../main/sandbox/data/index.ts';
import { writeChannelExport } from '../../main/sandbox/data/export-writer.ts';
import { tmpDir } from './helpers/fixtures.ts';

/**
 * The native line scanner (native/line-scan.cc) replaces JSON.parse for message and reaction
 * envelopes. It must never change a record, and never accept a line JSON.parse rejects: every
 * test compares the import's records with the scanner on and off.
 */

type Out = Omit<Batch, 'lines' | 'bytes'>;

/** A normalizer that collects every record it emits (rejections included) into `out`. */
function collector(): { n: Normalizer; out: Out } {
  const out: Out = { users: [], channels: [], members: [], messages: [], reactions: [], reads: [], others: [], rejects: [] };
  const n = new Normalizer(() => undefined);
  n.flushAt = 64;
  n.onFull = () => {
    const b = n.take();
    for (const k of Object.keys(out) as (keyof Out)[]) (out[k] as unknown[]).push(...b[k]);
  };
  return { n, out };
}

/** A file read by readLinesFromFile: the native reader thread unless `native` is false. */
async function normalizeFile(bytes: Buffer, opts: FileReadOptions) {
  const file = path.join(dir, `f-${Math.random().toString(36).slice(2)}.ndjson`);
  fs.writeFileSync(file, bytes);
  const { n, out } = collector();
  const read = await readLinesFromFile(file, n, opts);
  n.onFull!();
  fs.rmSync(file);
  return { ...out, read };
}

async function normalize(bytes: Buffer, native: boolean, reader: typeof readLines | typeof readV1 = readLines): Promise<Out> {
  const { n, out } = collector();
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
  }
  await reader(chunks(), n, { native });
  n.onFull!();
  return out;
}

const dir = tmpDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function realisticLines(): Promise<Buffer> {
  const ds = createDataset({ seed: 11, messages: 1500 });
  const file = path.join(dir, 'a.ndjson');
  await writeChannelExport(file, ds, { version: 'v2', shape: 'envelope', include_soft_deleted_channels: true, include_truncated_messages: true });
  return fs.readFileSync(file);
}

/** A small deterministic generator (the fuzz cases must be the same on every run). */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('native line scanner', () => {
  it('is built and loaded (npm install builds it; without it imports fall back to JSON.parse)', () => {
    expect(lineScanner).not.toBeNull();
    // Its mallopt (openArchive caps malloc arenas through it): applied on glibc, refused for nonsense.
    const glibc = !!(process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    expect(lineScanner!.limitMallocArenas(0)).toBe(false);
    expect(lineScanner!.limitMallocArenas(8)).toBe(glibc);
  });

  it('gives exactly the records of JSON.parse on a realistic export', async () => {
    const bytes = await realisticLines();
    const on = await normalize(bytes, true);
    expect(on.messages.length).toBeGreaterThan(1000);
    expect(on.reactions.length).toBeGreaterThan(50);
    expect(on).toEqual(await normalize(bytes, false));
  });

  it('vouches for no line JSON.parse rejects, and changes no record, under thousands of mutations', async () => {
    const lines = (await realisticLines()).toString('latin1').split('\n')
      .filter((l) => l.startsWith('{"type":"message"') || l.startsWith('{"type":"reaction"'));
    const sample = lines.filter((_, i) => i % 7 === 0).slice(0, 150);
    const rand = rng(42);
    const interesting = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\t', '\r', 'u', '0', '9', 'e', 'E', '-', '+', '.', 't', 'n', 'f',
      '\x00', '\x1f', '\x7f', '\x80', '\xc3', '\xff', 'x', '"id"', '\\u0069', '\\"', '\\\\', '\\u00e9', '\\ud800'];
    const mutated: string[] = [];
    for (const line of sample) {
      for (let m = 0; m < 40; m++) {
        const at = Math.floor(rand() * line.length);
        const what = interesting[Math.floor(rand() * interesting.length)];
        const op = rand();
        mutated.push(op < 0.4 ? line.slice(0, at) + what + line.slice(at + 1) // replace a character
          : op < 0.7 ? line.slice(0, at) + what + line.slice(at) // insert
            : op < 0.85 ? line.slice(0, at) + line.slice(at + 1 + Math.floor(rand() * 8)) // delete
              : line.slice(0, at)); // truncate
      }
      // Shapes the scanner must hand back: a known key twice, a key written with escapes, more keys.
      mutated.push(line.replace('"text":', '"text":"first","text":'), line.replace('"id":', '"\\u0069d":'), line.replace('"text":', '"te\\u0078t":'),
        line.replace(/}$/, ',"extra":1}'), line.replace('{"type":', '{ "type":'), `  ${line}\t`);
    }
    const bytes = Buffer.from(mutated.join('\n') + '\n', 'latin1');
    // The scanner itself: never 1 or 2 for a line JSON.parse rejects.
    const out = new Int32Array(lineScanner!.keys.length * 3 + 1);
    let rejected = 0, vouched = 0;
    for (const l of mutated) {
      const b = Buffer.from(l, 'latin1');
      let valid = true;
      try {
        JSON.parse(b.toString('utf8'));
      } catch {
        valid = false;
      }
      const r = lineScanner!.scan(b, 0, b.length, out);
      if (!valid) {
        rejected++;
        expect(r, l.slice(0, 300)).toBe(0);
      } else if (r) vouched++;
    }
    expect(rejected).toBeGreaterThan(2000); // the mutations do reach the error paths
    expect(vouched).toBeGreaterThan(1000); // and valid variants take the native path
    // The records, rejections included, are those of JSON.parse.
    expect(await normalize(bytes, true)).toEqual(await normalize(bytes, false));
  });

  it('gives exactly the records of JSON.parse for a v1 document (bare messages), malformed ones included', async () => {
    const ds = createDataset({ seed: 12, messages: 800 });
    const file = path.join(dir, 'b.json');
    await writeChannelExport(file, ds, { version: 'v1' });
    const bytes = fs.readFileSync(file);
    const on = await normalize(bytes, true, readV1);
    expect(on.messages.length).toBeGreaterThan(500);
    expect(on).toEqual(await normalize(bytes, false, readV1));
    // Damaged messages inside the document: rejected the same way, with the same words.
    const text = bytes.toString('utf8');
    const broken = text.replace(/"text":"([^"]*)"/, '"text":"$1\u0001bad\\x"').replace(/"created_at":"[^"]*"/, '"created_at":"not a time"');
    expect(broken).not.toBe(text);
    const b = Buffer.from(broken);
    const bOn = await normalize(b, true, readV1);
    expect(bOn.rejects.length).toBeGreaterThan(0);
    expect(bOn).toEqual(await normalize(b, false, readV1));
  });

  it('reports ranges only within the given slice of the buffer', () => {
    const line = Buffer.from('xx{"type":"message","data":{"id":"a","text":"b","cid":"c:1","created_at":"2024-01-01T00:00:00Z"}}yy');
    const out = new Int32Array(lineScanner!.keys.length * 3 + 1);
    expect(lineScanner!.scan(line, 2, line.length - 2, out)).toBe(1);
    expect(line.toString('latin1', out[0], out[1])).toBe('"a"');
    expect(lineScanner!.scan(line, 2, line.length - 3, out)).toBe(0); // cut short: not vouched for
    expect(lineScanner!.scan(line, 0, line.length + 5, out)).toBe(0); // beyond the buffer: refused
  });

  describe('reader thread (reads and scans a file a few slots ahead)', () => {
    it('gives exactly the records, lines and bytes of the JavaScript reader on a realistic export', async () => {
      const bytes = await realisticLines();
      const native = await normalizeFile(bytes, {});
      expect(native.messages.length).toBeGreaterThan(1000);
      expect(native.read).toEqual({ lines: bytes.toString('latin1').split('\n').length - 1, bytes: bytes.length });
      expect(native).toEqual(await normalizeFile(bytes, { native: false }));
      // Small slots: most lines straddle two of them.
      expect(await normalizeFile(bytes, { slotBytes: 700, slots: 2 })).toEqual(native);
      // Few users per generation: the reader thread's user table starts over again and again.
      expect(await normalizeFile(bytes, { usersMax: 3 })).toEqual(native);
    });

    it('handles lines longer than a slot, CRLF, blank and indented lines, full slots and a truncated last line', async () => {
      const all = (await realisticLines()).toString('utf8').split('\n').filter(Boolean);
      // Some of each kind: channels, users and members come first, then messages and reactions.
      const lines = [...all.slice(0, 20), ...all.filter((l) => l.startsWith('{"type":"message"')).slice(0, 30),
        ...all.filter((l) => l.startsWith('{"type":"reaction"')).slice(0, 10)];
      const long = lines.find((l) => l.startsWith('{"type":"message"'))!.replace('"text":"', `"text":"${'déjà vu '.repeat(300)}`);
      const parts = [
        lines[0], '', long, '   ' + lines[1], lines[2] + '\r', '\r', '{"type":"message","data":{"id":', lines[3], long + '\r', '\t' + long,
        ...lines.slice(4, 40), 'not json at all', '[1,2,3]', ...lines.slice(40),
        // The same author with other bytes (renamed, then back): each message keeps its own user object.
        ...lines.slice(20, 26).flatMap((l) => [l.replace(/"name":"[^"]*"/, '"name":"Renamed"'), l]),
      ];
      const cases = [
        Buffer.from(parts.join('\n') + '\n'), // ends with a newline
        Buffer.from(parts.join('\n') + '\n' + long.slice(0, 900)), // truncated last line, longer than a slot
        Buffer.from(parts.join('\n') + '\n' + lines[5].slice(0, 40)), // truncated last line, short
        Buffer.from(parts.join('\n') + '\n' + lines[5]), // complete last line without newline
        Buffer.from(long), // one long line, no newline
        Buffer.from(''),
        Buffer.from('\n\n\r\n'),
      ];
      for (const bytes of cases) {
        const js = await normalizeFile(bytes, { native: false });
        for (const opts of [{}, { slotBytes: 512, slots: 2, maxLines: 3 }, { slotBytes: 300, slots: 3, maxLines: 1, usersMax: 1 },
          { slotBytes: 2048, maxLines: 2, usersMax: 2 }]) {
          const native = await normalizeFile(bytes, opts);
          expect(native, JSON.stringify(opts)).toEqual(js);
        }
      }
      const withRejects = await normalizeFile(cases[1], { slotBytes: 512, slots: 2, maxLines: 3 });
      expect(withRejects.rejects.map((r) => r.reason)).toEqual(expect.arrayContaining([
        expect.stringMatching(/^malformed JSON/), expect.stringMatching(/^not a Stream entity/), expect.stringMatching(/^truncated last line/),
      ]));
      expect(withRejects.messages.some((m) => m.text.includes('déjà vu déjà vu'))).toBe(true);
    });

    it('reports a file it cannot open or read, and stops its thread when the consumer fails', async () => {
      const { n } = collector();
      await expect(readLinesFromFile(path.join(dir, 'missing.ndjson'), n)).rejects.toThrow(/cannot open .*missing\.ndjson: No such file/);
      await expect(readLinesFromFile(dir, n)).rejects.toThrow(/cannot read .*EISDIR/);
      const file = path.join(dir, 'consumer-fails.ndjson');
      fs.writeFileSync(file, await realisticLines());
      const failing = collector().n;
      let calls = 0;
      failing.drain = () => {
        if (++calls === 3) throw new Error('disk full');
      };
      await expect(readLinesFromFile(file, failing, { slotBytes: 4096, slots: 2 })).rejects.toThrow('disk full');
      expect(calls).toBe(3);
    });
  });
});
