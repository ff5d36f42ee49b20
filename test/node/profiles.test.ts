/**
 * Profiles over a real state.db in a temp dir, the in-memory SecretStore, and the connection test
 * against the sandbox Stream server over real HTTP with the real stream-chat SDK.
 * (The same flows against the real OS keychain are in test/keychain/.)
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { openStateDb, stateMigrations } from '../../main/core/state/index.ts';
import { MemorySecretStore } from '../../main/core/secrets/index.ts';
import { DEFAULT_BASE_URL, ProfileError, ProfileService, profilesPort, testConnection } from '../../main/core/profiles/index.ts';
import { startSandbox, type Sandbox } from '../../main/sandbox/server/index.ts';

let dir: string;
let db: Database.Database;
let secrets: MemorySecretStore;
let service: ProfileService;
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ messages: 100 });
});
afterAll(async () => {
  await sandbox.close();
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-profiles-'));
  db = openStateDb(dir);
  secrets = new MemorySecretStore();
  service = new ProfileService({ db, secrets, sandboxSecret: () => sandbox.apiSecret });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const SECRET = 'k3y-s3cr3t-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR';
const err = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as ProfileError;
  }
  throw new Error('expected an error');
};

describe('state.db', () => {
  it('is created with WAL, foreign keys, a busy timeout and every migration applied', () => {
    expect(fs.existsSync(path.join(dir, 'state.db'))).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('user_version', { simple: true })).toBe(stateMigrations.length);
    expect(stateMigrations.map((m) => m.version)).toEqual(stateMigrations.map((_, i) => i + 1));
  });

  it('reopens without re-running migrations and keeps data', async () => {
    await service.add({ name: 'Acme', api_key: 'key1', secret: SECRET });
    db.close();
    db = openStateDb(dir);
    expect(new ProfileService({ db, secrets }).list().map((p) => p.name)).toEqual(['Acme']);
  });

  it('has no column that could hold a secret', () => {
    const cols = (db.prepare('PRAGMA table_info(profiles)').all() as { name: string }[]).map((c) => c.name);
    expect(cols.filter((c) => /secret|password|token/i.test(c))).toEqual(['secret_saved_at']);
  });
});

describe('ProfileService', () => {
  it('adds a profile: secret in the SecretStore under the profile id, never in state.db', async () => {
    const p = await service.add({ name: ' Acme Legal ', api_key: 'abc123', secret: `  ${SECRET}\n` });
    expect(p).toMatchObject({ name: 'Acme Legal', api_key: 'abc123', base_url: DEFAULT_BASE_URL, kind: 'stream', has_secret: true, last_connected_at: null });
    expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await secrets.get(p.id)).toBe(SECRET);
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, f)).includes(SECRET)).toBe(false);
  });

  it('finds a profile by id or by name, ignoring case and width', async () => {
    const p = await service.add({ name: 'Straße Team', api_key: 'k', secret: SECRET });
    expect(service.get(p.id).name).toBe('Straße Team');
    expect(service.get(p.id.toUpperCase()).id).toBe(p.id);
    expect(service.get('STRASSE TEAM').id).toBe(p.id);
    expect(service.get('ｓｔｒａｓｓｅ team').id).toBe(p.id);
    expect(service.find('nope')).toBeNull();
    const e = await err(() => service.get('nope'));
    expect(e).toBeInstanceOf(ProfileError);
    expect(e.code).toBe('not_found');
  });

  it('keeps names unique ignoring case, for add and rename', async () => {
    await service.add({ name: 'Acme', api_key: 'k', secret: SECRET });
    const b = await service.add({ name: 'Beta', api_key: 'k', secret: SECRET });
    const e = await err(service.add({ name: 'ACME', api_key: 'k2', secret: SECRET }));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/already exists/);
    expect(secrets.size).toBe(2); // nothing stored for the refused one
    expect((await err(() => service.rename(b.id, 'acme'))).code).toBe('conflict');
    expect(service.rename(b.id, 'BETA').name).toBe('BETA'); // its own name in another case is fine
  });

  it('rejects bad input with messages that name the rule, never echo the value', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: '', api_key: 'k', secret: SECRET }, /name is empty/],
      [{ name: 'x'.repeat(101), api_key: 'k', secret: SECRET }, /longer than 100/],
      [{ name: 'a\u0007b', api_key: 'k', secret: SECRET }, /control characters/],
      [{ name: '123e4567-e89b-12d3-a456-426614174000', api_key: 'k', secret: SECRET }, /UUID/],
      [{ name: 'n', api_key: 'has space', secret: SECRET }, /API key may only contain/],
      [{ name: 'n', api_key: 'k', base_url: 'ftp://x', secret: SECRET }, /https:\/\//],
      [{ name: 'n', api_key: 'k', base_url: 'not a url', secret: SECRET }, /not a URL/],
      [{ name: 'n', api_key: 'k', base_url: 'https://user:pw@proxy.example', secret: SECRET }, /user name or password/],
      [{ name: 'n', api_key: 'k', base_url: 'https://x.example/?a=1', secret: SECRET }, /query/],
      [{ name: 'n', api_key: 'k' }, /secret is required/],
      [{ name: 'n', api_key: 'k', secret: 'two words' }, /spaces/],
      [{ name: 'n', api_key: 'k', secret: SECRET, extra: 1 }, /unknown field/],
      [{ name: 'n', api_key: 'k', secret: SECRET, kind: 'other' }, /kind must be/],
    ];
    for (const [input, re] of cases) {
      const e = await err(service.add(input as never));
      expect(e.code, JSON.stringify(input)).toBe('invalid_input');
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain(SECRET);
    }
    expect(service.list()).toEqual([]);
    expect(secrets.size).toBe(0);
  });

  it('normalises base URLs and accepts regional endpoints, proxies and local http', async () => {
    const p = await service.add({ name: 'Dublin', api_key: 'k', base_url: 'https://chat-proxy-dublin.stream-io-api.com/', secret: SECRET });
    expect(p.base_url).toBe('https://chat-proxy-dublin.stream-io-api.com');
    expect(service.setBaseUrl('Dublin', 'http://127.0.0.1:8080/stream//').base_url).toBe('http://127.0.0.1:8080/stream');
    expect((await err(() => service.setBaseUrl('Dublin', 'javascript:alert(1)'))).code).toBe('invalid_input');
  });

  it('rotates the secret in place and records when', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    service = new ProfileService({ db, secrets, now: () => now });
    const p = await service.add({ name: 'Acme', api_key: 'k', secret: SECRET });
    now = new Date('2026-02-01T00:00:00Z');
    const r = await service.rotateSecret('acme', 'new-secret-value-9876543210');
    expect(await secrets.get(p.id)).toBe('new-secret-value-9876543210');
    expect(secrets.size).toBe(1);
    expect(r.updated_at).toBe('2026-02-01T00:00:00.000Z');
    expect(r.created_at).toBe('2026-01-01T00:00:00.000Z');
  });

  it('removes a profile together with its keychain item', async () => {
    const a = await service.add({ name: 'Acme', api_key: 'k', secret: SECRET });
    const b = await service.add({ name: 'Beta', api_key: 'k', secret: SECRET });
    const r = await service.remove('Acme');
    expect(r).toMatchObject({ secretLeft: false, profile: { id: a.id } });
    expect(await secrets.get(a.id)).toBeNull();
    expect(await secrets.get(b.id)).toBe(SECRET);
    expect(service.list().map((p) => p.name)).toEqual(['Beta']);
    expect((await err(service.remove('Acme'))).code).toBe('not_found');
  });

  it('says so when the keychain has lost a secret', async () => {
    const p = await service.add({ name: 'Acme', api_key: 'k', secret: SECRET });
    await secrets.delete(p.id);
    const e = await err(service.credentials('Acme'));
    expect(e.code).toBe('keychain');
    expect(e.message).toMatch(/profile rotate "Acme" --secret-stdin/);
    expect(await service.test('Acme')).toMatchObject({ outcome: 'keychain' });
  });

  it('sandbox profiles store no secret and get it from the running sandbox', async () => {
    const p = service.ensureSandbox({ api_key: sandbox.apiKey, base_url: sandbox.baseURL });
    expect(p).toMatchObject({ name: 'Sandbox', kind: 'sandbox', has_secret: false, base_url: sandbox.baseURL });
    expect(secrets.size).toBe(0);
    expect(service.ensureSandbox({ api_key: 'newkey', base_url: 'http://127.0.0.1:1' })).toMatchObject({ id: p.id, api_key: 'newkey' });
    service.ensureSandbox({ api_key: sandbox.apiKey, base_url: sandbox.baseURL });
    expect((await service.credentials(p.id)).secret).toBe(sandbox.apiSecret);
    expect((await err(service.rotateSecret(p.id, SECRET))).code).toBe('invalid_input');
    expect((await err(service.add({ name: 'S2', api_key: 'k', kind: 'sandbox', base_url: sandbox.baseURL, secret: SECRET }))).code).toBe('invalid_input');
    await service.remove(p.id);
    expect(service.list()).toEqual([]);
    const noSandbox = new ProfileService({ db, secrets });
    const q = noSandbox.ensureSandbox({ api_key: 'k', base_url: 'http://127.0.0.1:1' });
    expect((await err(noSandbox.credentials(q.id))).code).toBe('unavailable');
    await service.add({ name: 'Sandbox 2', api_key: 'k', secret: SECRET });
    expect((await err(() => service.ensureSandbox({ name: 'sandbox 2', api_key: 'k', base_url: 'http://127.0.0.1:1' }))).code).toBe('conflict');
  });

  it('as the facade ProfilesPort returns contract views and nothing secret', async () => {
    const port = profilesPort(service);
    const v = await port.add({ name: 'Acme', api_key: 'k', secret: SECRET });
    expect(Object.keys(v).sort()).toEqual(['api_key', 'base_url', 'created_at', 'has_secret', 'id', 'last_connected_at', 'name', 'sandbox', 'updated_at']);
    expect(v).toMatchObject({ sandbox: false, has_secret: true });
    expect(JSON.stringify(await port.list())).not.toContain(SECRET);
    expect(JSON.stringify(await port.rotate(v.id, `${SECRET}x`))).not.toContain(SECRET);
    await port.remove(v.id);
    expect(await port.list()).toEqual([]);
  });
});

describe('test connection (stream-chat SDK against the sandbox)', () => {
  it('tells success, wrong key, wrong secret, suspended app and unreachable host apart', async () => {
    const good = await service.add({ name: 'Good', api_key: sandbox.apiKey, base_url: sandbox.baseURL, secret: sandbox.apiSecret });
    await service.add({ name: 'Bad key', api_key: 'not-the-key', base_url: sandbox.baseURL, secret: sandbox.apiSecret });
    await service.add({ name: 'Bad secret', api_key: sandbox.apiKey, base_url: sandbox.baseURL, secret: SECRET });
    const closed = await freePort();
    await service.add({ name: 'Nowhere', api_key: sandbox.apiKey, base_url: `http://127.0.0.1:${closed}`, secret: sandbox.apiSecret });
    await service.add({ name: 'No DNS', api_key: sandbox.apiKey, base_url: 'https://archivist-test.invalid', secret: sandbox.apiSecret });

    const ok = await service.test('Good');
    expect(ok.outcome).toBe('ok');
    expect(service.get('Good').last_connected_at).not.toBeNull();
    expect((await service.test('Bad key')).outcome).toBe('wrong_key');
    expect((await service.test('Bad secret')).outcome).toBe('wrong_secret');
    expect(service.get('Bad secret').last_connected_at).toBeNull();
    expect((await service.test('Nowhere')).outcome).toBe('unreachable');
    expect((await service.test('No DNS')).outcome).toBe('unreachable');
    sandbox.control.suspend(true);
    try {
      expect((await service.test(good.id)).outcome).toBe('suspended');
    } finally {
      sandbox.control.suspend(false);
    }
    const results = await Promise.all(service.list().map((p) => service.test(p.id)));
    for (const r of results) {
      expect(r.message).not.toContain(sandbox.apiSecret);
      expect(r.message).not.toContain(SECRET);
      expect(r.message).not.toMatch(/eyJ/);
    }
  });

  it('gives up on a host that accepts but never answers, within the time limit', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const r = await testConnection({ apiKey: 'k', secret: SECRET, baseUrl: `http://127.0.0.1:${port}` }, { timeoutMs: 800 });
      expect(r.outcome).toBe('unreachable');
      expect(r.message).toMatch(/did not answer/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('reports a server that is not Stream, and ignores STREAM_LOCAL_TEST_HOST', async () => {
    const http = await import('node:http');
    const other = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
    try {
      const r = await testConnection({ apiKey: 'k', secret: SECRET, baseUrl: url });
      expect(r).toMatchObject({ outcome: 'error' });
      expect(r.message).toMatch(/does not look like Stream/);
      // The SDK would send everything to this host instead of the profile's URL.
      process.env.STREAM_LOCAL_TEST_HOST = new URL(url).host;
      const ok = await testConnection({ apiKey: sandbox.apiKey, secret: sandbox.apiSecret, baseUrl: sandbox.baseURL });
      expect(ok.outcome).toBe('ok');
    } finally {
      delete process.env.STREAM_LOCAL_TEST_HOST;
      other.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
