/**
 * Looks for a secret everywhere it must never be: files (databases with their -wal/-shm, logs,
 * exports), whole folders, and captured texts (CLI output, HTTP/IPC response bodies).
 *
 * It searches the bytes for the secret in every spelling a leak could take: raw UTF-8, UTF-16LE
 * (SQLite text can be stored that way), JSON-escaped, URL-encoded, base64/base64url, hex, and the
 * Stream server token (HS256 JWT) derived from it, which is as powerful as the secret itself.
 * Hits never contain the secret: `context` shows the surroundings with the match masked, so a
 * failing assertion cannot print what it is protecting.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SecretHit {
  /** File path, or the name given to a text. */
  where: string;
  /** How the secret was spelled there (raw, json, base64, jwt, …). */
  form: string;
  /** Byte offset of the first occurrence. */
  offset: number;
  /** Occurrences of this form in this source. */
  count: number;
  /** Up to 40 bytes either side, the match replaced by «SECRET». */
  context: string;
}

export interface ScanSources {
  files?: string[];
  /** Scanned recursively (every regular file). */
  dirs?: string[];
  /** name → text, e.g. { 'cli: profile list': stdout }. */
  texts?: Record<string, string> | Array<{ name: string; text: string }>;
}

/** Stream's server token for `secret`: HS256 over {"server":true}, no iat/exp (what stream-chat sends). */
export function serverToken(secret: string): string {
  const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify({ server: true })).toString('base64url');
  const sig = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${sig}`;
}

function forms(secret: string): Array<{ form: string; bytes: Buffer }> {
  const out = new Map<string, Buffer>();
  const add = (form: string, b: Buffer) => {
    if (b.length && ![...out.values()].some((x) => x.equals(b))) out.set(form, b);
  };
  add('raw', Buffer.from(secret, 'utf8'));
  add('utf16le', Buffer.from(secret, 'utf16le'));
  add('json', Buffer.from(JSON.stringify(secret).slice(1, -1), 'utf8'));
  add('url', Buffer.from(encodeURIComponent(secret), 'utf8'));
  add('base64', Buffer.from(Buffer.from(secret).toString('base64').replace(/=+$/, ''), 'utf8'));
  add('base64url', Buffer.from(Buffer.from(secret).toString('base64url'), 'utf8'));
  add('hex', Buffer.from(Buffer.from(secret).toString('hex'), 'utf8'));
  // The JWT's signature alone identifies it (the header/payload part is the same for every app).
  add('jwt', Buffer.from(serverToken(secret).split('.')[2], 'utf8'));
  return [...out].map(([form, bytes]) => ({ form, bytes }));
}

function walk(dir: string, acc: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, acc);
    else if (e.isFile()) acc.push(p);
  }
  return acc;
}

function scanBuffer(where: string, buf: Buffer, patterns: Array<{ form: string; bytes: Buffer }>, hits: SecretHit[]): void {
  for (const { form, bytes } of patterns) {
    let at = buf.indexOf(bytes);
    if (at < 0) continue;
    const offset = at;
    let count = 0;
    while (at >= 0) {
      count++;
      at = buf.indexOf(bytes, at + bytes.length);
    }
    const before = buf.subarray(Math.max(0, offset - 40), offset).toString('utf8');
    const after = buf.subarray(offset + bytes.length, offset + bytes.length + 40).toString('utf8');
    hits.push({ where, form, offset, count, context: `${before}«SECRET»${after}`.replace(/[^\x20-\x7e]/g, '.') });
  }
}

/** Every place `secret` (in any spelling above) occurs; [] means clean. */
export function scanForSecret(secret: string, sources: ScanSources): SecretHit[] {
  if (!secret) throw new Error('scanForSecret needs a non-empty secret');
  const patterns = forms(secret);
  const hits: SecretHit[] = [];
  const files = [...(sources.files ?? [])];
  for (const d of sources.dirs ?? []) if (fs.existsSync(d)) files.push(...walk(d));
  for (const f of new Set(files)) if (fs.existsSync(f)) scanBuffer(f, fs.readFileSync(f), patterns, hits);
  const texts = Array.isArray(sources.texts) ? sources.texts : Object.entries(sources.texts ?? {}).map(([name, text]) => ({ name, text }));
  for (const { name, text } of texts) scanBuffer(name, Buffer.from(text, 'utf8'), patterns, hits);
  return hits;
}

/** The files a scan of these sources reads (to prove a scan was not vacuous). */
export function scannedFiles(sources: Pick<ScanSources, 'files' | 'dirs'>): string[] {
  const files = [...(sources.files ?? [])].filter((f) => fs.existsSync(f));
  for (const d of sources.dirs ?? []) if (fs.existsSync(d)) files.push(...walk(d));
  return [...new Set(files)];
}
