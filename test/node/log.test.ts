/** The structured logger and its redactor (the second line of defence for secrets). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, createLogger, logFilePath, redact, registerSecret, REDACTED } from '../../main/core/log/index.ts';
import { StreamChat } from 'stream-chat';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-log-'));
  clearRegisteredSecrets();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  clearRegisteredSecrets();
});

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('logger', () => {
  it('writes JSON lines to <dataDir>/logs/archivist.log with level, time, message, bindings and fields', () => {
    const file = logFilePath(dir);
    expect(file).toBe(path.join(dir, 'logs', 'archivist.log'));
    const log = createLogger({ file }).child({ component: 'test' });
    log.debug('not written at info level');
    log.info('hello', { profile_id: 'p1', n: 3 });
    log.error('failed', Object.assign(new Error('boom'), { code: 'E_X' }));
    log.close();
    const [a, b] = lines(file);
    expect(a).toMatchObject({ level: 'info', msg: 'hello', component: 'test', profile_id: 'p1', n: 3 });
    expect(new Date(a.time as string).toString()).not.toBe('Invalid Date');
    expect(b).toMatchObject({ level: 'error', msg: 'failed', err: { name: 'Error', message: 'boom', code: 'E_X' } });
    expect(lines(file)).toHaveLength(2);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rotates by size and keeps maxFiles old files', () => {
    const file = logFilePath(dir);
    const log = createLogger({ file, maxBytes: 1000, maxFiles: 2 });
    for (let i = 0; i < 60; i++) log.info(`line ${i}`, { pad: 'x'.repeat(60) });
    log.close();
    const names = fs.readdirSync(path.dirname(file)).sort();
    expect(names).toEqual(['archivist.1.log', 'archivist.2.log', 'archivist.log']);
    for (const n of names) expect(fs.statSync(path.join(path.dirname(file), n)).size).toBeLessThanOrEqual(1000);
    expect(lines(file).at(-1)).toMatchObject({ msg: 'line 59' });
    const kept = names.flatMap((n) => lines(path.join(path.dirname(file), n)).map((l) => l.msg));
    expect(kept).toContain('line 59');
    expect(kept).not.toContain('line 0');
  });

  it('echoes to stderr from the chosen level, redacted too', () => {
    const out: string[] = [];
    registerSecret('stderr-secret-value-123');
    const log = createLogger({ stderr: 'warn', stderrWrite: (l) => out.push(l) });
    log.info('quiet');
    log.warn('careful with stderr-secret-value-123', { k: 1 });
    expect(out).toEqual([`[warn] careful with ${REDACTED} {"k":1}\n`]);
  });

  it('never writes a registered secret, wherever it hides', () => {
    const secret = 'qz7"Wp\\x9vLm2#kT8rBn4&yH6dJ1sF3gA5';
    registerSecret(secret);
    const file = logFilePath(dir);
    const log = createLogger({ file, level: 'debug' });
    log.info(`message with ${secret} inside`);
    log.debug('field', { note: `prefix-${secret}-suffix`, nested: { deeper: [secret] } });
    log.error('error', new Error(`request failed for ${secret}`));
    log.warn('url', { url: `https://x.example/?s=${encodeURIComponent(secret)}` });
    log.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(text).not.toContain(encodeURIComponent(secret));
    expect(text.split(REDACTED).length - 1).toBeGreaterThanOrEqual(5);
  });

  it('redacts an SDK error carrying the request headers (server JWT) without being told the secret', async () => {
    const file = logFilePath(dir);
    const log = createLogger({ file });
    const secret = 'never-registered-secret-0123456789';
    let caught: unknown;
    try {
      await new StreamChat('k', secret, { baseURL: 'http://127.0.0.1:9', timeout: 2000 }).getRateLimits();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeTruthy();
    const headers = (caught as { config?: { headers?: Record<string, unknown> } }).config?.headers ?? {};
    expect(String(headers.Authorization)).toMatch(/^eyJ/); // what a careless log line would carry
    log.error('stream call failed', { error: caught, headers, raw: `Authorization: ${String(headers.Authorization)}` });
    log.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(String(headers.Authorization));
    expect(text).not.toMatch(/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.[\w-]+\.[\w-]+/);
  });
});

describe('redact', () => {
  it('replaces JWTs and high-entropy values after secret-like words', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXJ2ZXIiOnRydWV9.3Yk5sQ9qz0bW7nq9XlYk2mP3vT8rH1cD6fG4jK0aZxE';
    expect(redact(`token ${jwt} end`)).toBe(`token ${REDACTED} end`);
    expect(redact('api_secret=h4Jd9sK2lQ8wE3rT7yU1iO5pA0zX6cVb')).toBe(`api_secret=${REDACTED}`);
    expect(redact('{"secret":"h4Jd9sK2lQ8wE3rT7yU1iO5pA0zX6cVb"}')).toBe(`{"secret":"${REDACTED}"}`);
    expect(redact('Authorization: Bearer h4Jd9sK2lQ8wE3rT7yU1iO5pA0zX6cVb')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redact('password = "Zx9kq2Lm7Pw4Rt8Yu3Io6"')).toBe(`password = "${REDACTED}"`);
  });

  it('leaves ordinary text alone', () => {
    for (const s of ['secret_saved_at=2026-01-01T00:00:00.000Z', 'token=aaaaaaaaaaaaaaaaaaaaaaaa', 'no secret here', 'api_key=mmhfdzb5evj2', 'has_secret: true']) expect(redact(s)).toBe(s);
  });

  it('ignores values too short to be a secret', () => {
    registerSecret('abc');
    expect(redact('abcdef abc')).toBe('abcdef abc');
  });
});
