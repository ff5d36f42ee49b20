import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadToFile } from '../../main/core/evidence/download.ts';
import { inspectExportFile } from '../../main/core/evidence/inspect.ts';
import { copyFileDirect } from '../../main/core/evidence/copy-direct.ts';
import { EvidenceStore, hashFile } from '../../main/core/evidence/store.ts';

/** A storage host stand-in: serves one body, with switchable misbehaviour. */
interface Behaviour {
  range: boolean;
  /** Drop the connection after this many body bytes (once per request). */
  dropAfter: number | null;
  status: number | null;
  /** Send fewer bytes than Content-Length announces, then end cleanly. */
  shortBody: number | null;
  etag: string;
}

let server: http.Server;
let base: string;
let body: Buffer = Buffer.alloc(0);
let behave: Behaviour;
const seen: { range: string | undefined; ifRange: string | undefined }[] = [];

function reset(b: Partial<Behaviour> = {}) {
  behave = { range: true, dropAfter: null, status: null, shortBody: null, etag: '"v1"', ...b };
  seen.length = 0;
}

beforeAll(async () => {
  reset();
  server = http.createServer((req, res) => {
    seen.push({ range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined });
    if (behave.status) {
      res.writeHead(behave.status, { 'content-type': 'text/plain' });
      res.end('nope');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRangeOk = !req.headers['if-range'] || req.headers['if-range'] === behave.etag;
    if (behave.range && m && ifRangeOk) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'content-length': body.length - start,
        etag: behave.etag,
        'accept-ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'content-length': body.length, etag: behave.etag, 'accept-ranges': behave.range ? 'bytes' : 'none' });
    }
    const rest = body.subarray(start);
    if (behave.dropAfter !== null) {
      const n = behave.dropAfter;
      behave.dropAfter = null;
      res.write(rest.subarray(0, n), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (behave.shortBody !== null) {
      // Lie: announce the full length, send less, close the socket "cleanly".
      res.write(rest.subarray(0, behave.shortBody), () => res.socket?.end());
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let dir: string;
afterEach(async () => {
  reset();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});
async function tmpdir() {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'archivist-evidence-'));
  return dir;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function v2File(channels: number, perChannel: number): Buffer {
  const lines: string[] = [];
  for (let c = 0; c < channels; c++) {
    const cid = `messaging:c${c}`;
    lines.push(JSON.stringify({ type: 'channel', data: { cid, id: `c${c}`, type: 'messaging', member_count: 2 } }));
    for (let i = 0; i < perChannel; i++) {
      lines.push(JSON.stringify({ type: 'message', data: { id: `m${c}-${i}`, cid, text: `hello ${'é'.repeat(i % 7)} ${i}`, html: '', user: { id: `u${i % 3}` } } }));
    }
  }
  return Buffer.from(lines.join('\n') + '\n');
}

const M = 4 * 1024 * 1024;
/** Bytes that differ from chunk to chunk, so a misplaced or repeated chunk changes the hash. */
function patterned(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + (i >>> 13)) & 0xff;
  return b;
}

describe('hashFile', () => {
  it('hashes files of every size around its 4 MB read chunks exactly (reads overlap hashing)', async () => {
    const d = await tmpdir();
    const big = patterned(2 * M + 1);
    for (const n of [0, 1, M - 1, M, M + 1, 2 * M, 2 * M + 1]) {
      const file = path.join(d, `f${n}`);
      await fs.writeFile(file, big.subarray(0, n));
      expect(await hashFile(file)).toEqual({ sha256: sha(big.subarray(0, n)), size: n });
    }
  });
});

const TMPFS_MAGIC = 0x01021994;

describe('copyFileDirect', () => {
  it('copies files of every size around its block and chunk sizes exactly, durable and past the page cache', async () => {
    const d = await tmpdir();
    const big = patterned(2 * M + 4097);
    // tmpfs (/dev/shm) may refuse direct writes: the copy then falls back to ordinary writes.
    const dirs = [d, ...(fsSync.existsSync('/dev/shm') ? [await fs.mkdtemp('/dev/shm/archivist-copy-')] : [])];
    try {
      for (const dir of dirs) {
        for (const n of [0, 1, 4095, 4096, 4097, M - 1, M, M + 1, 2 * M + 4097]) {
          const src = path.join(d, `src${n}`);
          await fs.writeFile(src, big.subarray(0, n));
          const dest = path.join(dir, `copy${n}`);
          expect(await copyFileDirect(src, dest)).toBe(n);
          // Past the page cache where the file system takes direct writes (ext4 here, not tmpfs):
          // only the unaligned tail goes through it. (fincore: util-linux, as on CI.)
          if (n > M && (await fs.statfs(dir)).type !== TMPFS_MAGIC) {
            const cached = Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', dest], { encoding: 'utf8' }).trim());
            expect(cached, `${dest} cached`).toBeLessThanOrEqual(8192);
          }
          expect(sha(await fs.readFile(dest)), `${dir} ${n}`).toBe(sha(big.subarray(0, n)));
        }
        // Never overwrites: the destination must be new.
        await expect(copyFileDirect(path.join(d, 'src1'), path.join(dir, 'copy1'))).rejects.toThrow(/EEXIST/);
      }
    } finally {
      for (const dir of dirs.slice(1)) await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('downloadToFile', () => {
  it('streams, hashes and reports the host only', async () => {
    body = v2File(3, 200);
    const d = await tmpdir();
    const file = path.join(d, 'a.part');
    const r = await downloadToFile({ url: `${base}/exports/x.jsonl?sig=SECRET`, file });
    expect(r.bytes).toBe(body.length);
    expect(r.total).toBe(body.length);
    expect(r.sha256).toBe(sha(body));
    expect(r.host).toBe(new URL(base).host);
    expect(JSON.stringify(r)).not.toContain('SECRET');
    expect((await hashFile(file)).sha256).toBe(sha(body));
  });

  it('resumes a dropped download with Range and If-Range, hash covering both parts', async () => {
    body = Buffer.alloc(300_000, 7);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const d = await tmpdir();
    const file = path.join(d, 'b.part');
    reset({ dropAfter: 100_000 });
    const err = await downloadToFile({ url: `${base}/f`, file }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.kind).toBe('dropped');
    const partial = (await fs.stat(file)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(body.length);
    const r = await downloadToFile({ url: `${base}/f`, file, etag: '"v1"' });
    expect(seen.at(-1)).toEqual({ range: `bytes=${partial}-`, ifRange: '"v1"' });
    expect(r.resumedFrom).toBe(partial);
    expect(r.bytes).toBe(body.length);
    expect(r.sha256).toBe(sha(body));
  });

  it('restarts from zero when the server ignores Range', async () => {
    body = Buffer.from('x'.repeat(50_000));
    const d = await tmpdir();
    const file = path.join(d, 'c.part');
    await fs.writeFile(file, 'garbage-prefix');
    reset({ range: false });
    const r = await downloadToFile({ url: `${base}/f`, file });
    expect(r.resumedFrom).toBe(0);
    expect(r.sha256).toBe(sha(body));
    expect(await fs.readFile(file)).toEqual(body);
  });

  it('restarts when the file changed (If-Range mismatch gives a full 200)', async () => {
    body = Buffer.from('y'.repeat(10_000));
    const d = await tmpdir();
    const file = path.join(d, 'd.part');
    await fs.writeFile(file, 'z'.repeat(4000));
    reset({ etag: '"v2"' });
    const r = await downloadToFile({ url: `${base}/f`, file, etag: '"v1"' });
    expect(r.resumedFrom).toBe(0);
    expect(r.sha256).toBe(sha(body));
  });

  it('classifies refused links as expired and 5xx as dropped', async () => {
    body = Buffer.from('{}\n');
    const d = await tmpdir();
    reset({ status: 403 });
    expect((await downloadToFile({ url: `${base}/f`, file: path.join(d, 'e') }).catch((e) => e)).kind).toBe('expired');
    reset({ status: 503 });
    expect((await downloadToFile({ url: `${base}/f`, file: path.join(d, 'e') }).catch((e) => e)).kind).toBe('dropped');
    reset({ status: 404 });
    expect((await downloadToFile({ url: `${base}/f`, file: path.join(d, 'e') }).catch((e) => e)).kind).toBe('http');
  });

  it('never calls a short body complete', async () => {
    body = v2File(1, 500);
    const d = await tmpdir();
    reset({ shortBody: 1000 });
    const err = await downloadToFile({ url: `${base}/f`, file: path.join(d, 'f') }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.kind).toBe('dropped');
  });

  it('reports a full disk as disk_full', async () => {
    body = Buffer.alloc(200_000, 1);
    const d = await tmpdir();
    const err = await downloadToFile({
      url: `${base}/f`,
      file: path.join(d, 'g'),
      beforeWrite: (offset) => {
        if (offset > 50_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      },
    }).catch((e) => e);
    expect(err.kind).toBe('disk_full');
    expect(err.message).toMatch(/disk is full/);
  });

  it('can be cancelled', async () => {
    body = Buffer.alloc(100_000, 1);
    const d = await tmpdir();
    const ctl = new AbortController();
    ctl.abort();
    const err = await downloadToFile({ url: `${base}/f`, file: path.join(d, 'h'), signal: ctl.signal }).catch((e) => e);
    expect(err.kind).toBe('aborted');
  });
});

describe('EvidenceStore', () => {
  it('moves a file in under its hash, read-only, once', async () => {
    const d = await tmpdir();
    const store = new EvidenceStore(d);
    await store.init();
    const content = v2File(1, 3);
    const h = sha(content);
    const t1 = store.tmpFile('job_a.part');
    await fs.writeFile(t1, content);
    const a = await store.promote(t1, h);
    expect(a.existed).toBe(false);
    expect(a.path).toBe(path.join(d, 'evidence', h));
    expect((await fs.stat(a.path)).mode & 0o777).toBe(0o444);
    await expect(fs.access(t1)).rejects.toThrow();
    // The same bytes again: one file, untouched.
    const before = await fs.stat(a.path);
    const t2 = store.tmpFile('job_b.part');
    await fs.writeFile(t2, content);
    const b = await store.promote(t2, h);
    expect(b.existed).toBe(true);
    expect((await fs.stat(a.path)).mtimeMs).toBe(before.mtimeMs);
    expect(await store.list()).toEqual([h]);
    expect((await store.verify(h)).ok).toBe(true);
    expect(store.relativePath(h)).toBe(`evidence/${h}`);
  });

  it('refuses to file bytes under the wrong hash', async () => {
    const d = await tmpdir();
    const store = new EvidenceStore(d);
    await store.init();
    const t = store.tmpFile('x.part');
    await fs.writeFile(t, 'abc');
    await expect(store.promote(t, sha(Buffer.from('abd')))).rejects.toThrow(/changed on disk/);
    expect(await store.list()).toEqual([]);
  });
});

describe('inspectExportFile', () => {
  it('counts messages per channel and author in v2 envelope, wrapper and bare lines', async () => {
    const d = await tmpdir();
    const f = path.join(d, 'v2');
    await fs.writeFile(
      f,
      [
        JSON.stringify({ type: 'user', data: { id: 'u1', role: 'user' } }),
        JSON.stringify({ channel: { cid: 'team:a', id: 'a', type: 'team', config: {} } }),
        JSON.stringify({ message: { id: 'm1', cid: 'team:a', text: 'x', user: { id: 'u1' } } }),
        JSON.stringify({ id: 'm2', cid: 'team:a', text: 'y', html: '', user: { id: 'u2' } }),
        JSON.stringify({ id: 'm2', cid: 'team:a', text: 'y', html: '', user: { id: 'u2' } }),
        JSON.stringify({ type: 'reaction', data: { message_id: 'm1', score: 1, user_id: 'u1' } }),
        JSON.stringify({ type: 'channel', data: { cid: 'team:b', id: 'b', type: 'team' } }),
      ].join('\n'),
    );
    const r = await inspectExportFile(f);
    expect(r.ok).toBe(true);
    expect(r.format).toBe('v2');
    expect(Object.fromEntries([...r.channels].map(([k, v]) => [k, v.messages]))).toEqual({ 'team:a': 2, 'team:b': 0 });
    expect(r.users.get('u2')?.messages).toBe(1);
    expect(r.users.has('u1')).toBe(true);
  });

  it('detects a v2 file cut mid-line, and gzip of it', async () => {
    const d = await tmpdir();
    const whole = v2File(2, 50);
    const cut = whole.subarray(0, whole.length - 40);
    await fs.writeFile(path.join(d, 'cut'), cut);
    const r = await inspectExportFile(path.join(d, 'cut'));
    expect(r.ok).toBe(false);
    expect(r.truncated).toBe(true);
    const gz = gzipSync(whole);
    await fs.writeFile(path.join(d, 'gz'), gz);
    const ok = await inspectExportFile(path.join(d, 'gz'));
    expect(ok.ok).toBe(true);
    expect(ok.gzip).toBe(true);
    expect(ok.channels.get('messaging:c1')?.messages).toBe(50);
    await fs.writeFile(path.join(d, 'gzcut'), gz.subarray(0, gz.length - 30));
    const bad = await inspectExportFile(path.join(d, 'gzcut'));
    expect(bad.ok).toBe(false);
  });

  it('reads v1 documents (strings with brackets, escapes, unicode) and detects truncation', async () => {
    const d = await tmpdir();
    const doc = [
      {
        channel: { cid: 'messaging:x', id: 'x', type: 'messaging' },
        messages: [
          { id: 'a', text: 'brackets ] } [ { and "quotes" \\ backslash', cid: 'messaging:x', user: { id: 'u' } },
          { id: 'b', text: '日本語 🎉 שלום', cid: 'messaging:x', user: { id: 'v' } },
        ],
        members: [{ user_id: 'u', user: { id: 'u' } }],
      },
      { channel: { cid: 'team:y', id: 'y', type: 'team' }, messages: [], members: [] },
    ];
    const text = Buffer.from(JSON.stringify(doc));
    await fs.writeFile(path.join(d, 'v1'), text);
    const r = await inspectExportFile(path.join(d, 'v1'));
    expect(r.ok).toBe(true);
    expect(r.format).toBe('v1');
    expect(r.entries).toBe(2);
    expect(r.channels.get('messaging:x')?.messages).toBe(2);
    expect(r.channels.get('team:y')?.messages).toBe(0);
    for (const n of [1, 10, 60, text.length - 1]) {
      await fs.writeFile(path.join(d, 'v1cut'), text.subarray(0, n));
      const c = await inspectExportFile(path.join(d, 'v1cut'));
      expect(c.ok, `cut at ${n}`).toBe(false);
    }
  });

  it('refuses empty and non-JSON files', async () => {
    const d = await tmpdir();
    await fs.writeFile(path.join(d, 'e'), '');
    expect((await inspectExportFile(path.join(d, 'e'))).ok).toBe(false);
    await fs.writeFile(path.join(d, 'h'), '<html>Access denied</html>');
    const h = await inspectExportFile(path.join(d, 'h'));
    expect(h.ok).toBe(false);
    expect(h.error).toMatch(/not an export/);
  });
});
