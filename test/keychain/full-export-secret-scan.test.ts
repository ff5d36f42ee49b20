/**
 * The secret-scan test of issue 4's "Done when": a full export with a real keychain profile, then
 * every place a secret could leak is scanned for it — zero hits.
 *
 * 1. CLI (real processes, real Secret Service): `profile add --secret-stdin`, `profile test`,
 *    `export channels --all --wait --json`, `export users --wait`, `jobs`, `report`, `search`,
 *    `stats`.
 * 2. Browser mode (main/web, same data dir, default keychain store): every contract operation
 *    that touches profiles or Stream over HTTP — profiles list/test/rotate/add/remove, stream
 *    browsing, collections create/list/report, archive search/facets/stats/evidence — with every
 *    response body and every server-sent event recorded.
 * 3. Scan (scanForSecret: raw, UTF-16, JSON, URL, base64, hex and the JWT signed with it):
 *    state.db / archive.db / fts.db with their -wal/-shm, evidence/, tmp/, logs/ (the whole data
 *    dir), every CLI stdout/stderr, every HTTP body and SSE event. A positive control shows the
 *    same scan finds the secret when it is there.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../../main/web/index.ts';
import { startSandbox, type Sandbox } from '../../main/sandbox/server/index.ts';
import { KeytarSecretStore } from '../../main/core/secrets/index.ts';
import { dataPaths } from '../../main/core/paths.ts';
import { describeIf, killStrayClis, runCli, sessionKeychain, type CliRun } from './helpers.ts';
import { scanForSecret, scannedFiles, serverToken, type ScanSources } from './secret-scan.ts';

const gate = await sessionKeychain();

const LIMITS = { pollInitialMs: 30, pollMaxMs: 150, tickMs: 50, progressIntervalMs: 50, retryBaseMs: 20 };

interface Recorded {
  name: string;
  text: string;
}

describeIf(gate, 'secrets never leave the keychain (full sandbox export: CLI and browser mode)', () => {
  let stream: Sandbox; // the "Stream app" the real profile points at
  let dir: string;
  let rendererDir: string;
  let app: BrowserMode | null = null;
  const store = new KeytarSecretStore();
  const recorded: Recorded[] = [];
  // Secrets that pass through this run: the app's, a wrong one (rotated in and out), a second profile's.
  const wrongSecret = randomBytes(32).toString('base64url');
  const otherSecret = randomBytes(24).toString('hex');

  beforeAll(async () => {
    stream = await startSandbox({ seed: 21, messages: 1500, channels: 12, latency: { pendingMs: 20, runningMs: 30, perThousandMessagesMs: 0 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-full-scan-'));
    rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-full-scan-ui-'));
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Archivist</title>');
  });
  afterAll(async () => {
    killStrayClis();
    await app?.close();
    await store.close();
    await stream?.close();
    for (const d of [dir, rendererDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('CLI and browser mode leave no trace of the secret anywhere', async () => {
    const t0 = Date.now();
    // ---- 1. the CLI ---------------------------------------------------------------------------
    const env: NodeJS.ProcessEnv = { ...process.env, ARCHIVIST_DATA_DIR: dir, ARCHIVIST_JOBS_LIMITS: JSON.stringify(LIMITS) };
    delete env.ARCHIVIST_SANDBOX_SECRET; // the Stream profile's secret may only come from the keychain
    const cli = async (args: string[], o: { input?: string; code?: number } = {}): Promise<CliRun> => {
      const r = await runCli(args, { env, input: o.input, killAfterMs: 45_000 });
      recorded.push({ name: `cli ${args.join(' ')} (stdout)`, text: r.stdout }, { name: `cli ${args.join(' ')} (stderr)`, text: r.stderr });
      expect(r.code, `archivist ${args.join(' ')}: ${r.stderr}`).toBe(o.code ?? 0);
      return r;
    };

    await cli(['profile', 'add', '--name', 'Acme', '--api-key', stream.apiKey, '--base-url', stream.baseURL, '--secret-stdin'], { input: `${stream.apiSecret}\n` });
    const profiles = JSON.parse((await cli(['profile', 'list', '--json'])).stdout) as { profiles: Array<{ id: string; name: string; kind: string }> };
    const acme = profiles.profiles.find((p) => p.name === 'Acme')!;
    expect(acme.kind).toBe('stream');
    expect(await store.get(acme.id)).toBe(stream.apiSecret); // where it must be
    expect(JSON.parse((await cli(['profile', 'test', 'Acme', '--json'])).stdout)).toMatchObject({ outcome: 'ok' });

    const exported = JSON.parse((await cli(['export', 'channels', '--profile', 'Acme', '--all', '--wait', '--json'])).stdout) as {
      id: string;
      state: string;
      totals: { messages_imported: number };
      report: { complete: boolean };
    };
    expect(exported.state).toBe('complete');
    expect(exported.report.complete).toBe(true);
    expect(exported.totals.messages_imported).toBeGreaterThan(100);
    const someUsers = stream.dataset.users.slice(0, 2).map((u) => u.id);
    const usersRun = await cli(['export', 'users', '--profile', 'acme', '--user', someUsers.join(','), '--wait']);
    expect(usersRun.stdout).toMatch(/complete/);
    expect(JSON.parse((await cli(['jobs', '--json'])).stdout).collections).toHaveLength(2);
    await cli(['jobs']);
    expect(JSON.parse((await cli(['report', exported.id, '--json'])).stdout)).toMatchObject({ complete: true });
    await cli(['report', exported.id]);
    const word = mostCommonWord(stream);
    expect(JSON.parse((await cli(['search', word, '--json', '--facets'])).stdout).total).toBeGreaterThan(0);
    expect(JSON.parse((await cli(['stats', '--json'])).stdout).messages).toBeGreaterThan(100);

    // ---- 2. browser mode on the same data dir --------------------------------------------------
    // What the app would print to its terminal (errors with their details) is recorded and scanned too.
    // (Named by number: a failing assertion prints the name, and must not print a leaked secret.)
    let logLines = 0;
    const log = (message: string, err?: unknown) =>
      recorded.push({ name: `app log line ${++logLines}`, text: `${message} ${err === undefined ? '' : inspect(err, { depth: 5 })}` });
    app = await startBrowserMode({ dataDir: dir, rendererDir, jobLimits: LIMITS, sandboxLatency: { pendingMs: 20, runningMs: 20 }, log });
    const { port, origin } = app.server;
    const signIn = await request(port, { path: `/?token=${new URL(app.url).searchParams.get('token')}` });
    expect(signIn.status).toBe(303);
    const cookie = String(signIn.headers['set-cookie']![0]).split(';')[0];
    const events = openEvents(port, cookie);
    await events.connected;
    const api = async <T = unknown>(op: string, body: unknown, ok = true): Promise<T> => {
      const res = await request(port, { method: 'POST', path: `/api/${op}`, headers: { cookie, origin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      recorded.push({ name: `http ${op} → ${res.status}`, text: res.body });
      const out = JSON.parse(res.body) as { ok: boolean; value?: T; error?: { code: string; message: string } };
      expect(out.ok, `${op}: ${res.body.slice(0, 300)}`).toBe(ok);
      return (ok ? out.value : out.error) as T;
    };

    await api('app.info', {});
    await api('workspace.status', {});
    const listed = await api<Array<{ id: string; name: string; has_secret: boolean }>>('profiles.list', {});
    expect(listed.find((p) => p.id === acme.id)).toMatchObject({ name: 'Acme', has_secret: true });
    expect(await api('profiles.test', { id: acme.id })).toMatchObject({ outcome: 'ok' });
    await api('profiles.rotate', { id: acme.id, secret: wrongSecret });
    expect(await api('profiles.test', { id: acme.id })).toMatchObject({ outcome: 'wrong_secret' });
    // Refused by Stream: an error the user can act on, as data.
    expect(await api('stream.channels', { profile_id: acme.id, limit: 5 }, false)).toMatchObject({ code: 'connection', message: expect.stringMatching(/secret/) });
    await api('profiles.rotate', { id: acme.id, secret: stream.apiSecret });
    expect(await api('profiles.test', { id: acme.id })).toMatchObject({ outcome: 'ok' });
    expect(await store.get(acme.id)).toBe(stream.apiSecret);

    const page = await api<{ channels: Array<{ cid: string }> }>('stream.channels', { profile_id: acme.id, limit: 10 });
    expect(page.channels.length).toBeGreaterThan(3);
    await api('stream.users', { profile_id: acme.id, limit: 10 });
    const col = await api<{ id: string }>('collections.create', { kind: 'channels', profile_id: acme.id, channels: { cids: page.channels.slice(0, 4).map((c) => c.cid) }, label: 'browser' });
    const userCol = await api<{ id: string }>('collections.create', { kind: 'users', profile_id: acme.id, user_ids: [stream.dataset.users[3].id] });
    for (const id of [col.id, userCol.id]) {
      const until = Date.now() + 30_000;
      let state = '';
      while (Date.now() < until) {
        state = (await api<Array<{ id: string; state: string }>>('collections.list', {})).find((c) => c.id === id)!.state;
        if (state !== 'running' && state !== 'resolving') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe('complete');
      expect(await api('collections.report', { collection_id: id })).toMatchObject({ complete: true });
    }
    const found = await api<{ total: number; hits: Array<{ message_id: string }> }>('archive.search', { query: word, facets: true, limit: 20 });
    expect(found.total).toBeGreaterThan(0);
    await api('archive.facets', { query: word });
    await api('archive.context', { message_id: found.hits[0].message_id });
    await api('archive.stats', {});
    await api('archive.evidence', {});
    await api('archive.channels', {});

    // A second profile added and removed through the UI: its keychain item goes with it.
    const other = await api<{ id: string; has_secret: boolean }>('profiles.add', { name: 'Acme EU', api_key: 'eu-key', base_url: 'https://chat-proxy-dublin.stream-io-api.com', secret: otherSecret });
    expect(other.has_secret).toBe(true);
    expect(await store.get(other.id)).toBe(otherSecret);
    await api('profiles.remove', { id: other.id });
    expect(await store.get(other.id)).toBeNull();
    await api('profiles.list', {});

    // While the app runs its databases have live -wal/-shm files: scan them now (closing the
    // databases folds them into the main files, which the final scan reads).
    const live = scannedFiles({ dirs: [dir] }).map((f) => path.relative(dir, f));
    expect(live).toEqual(expect.arrayContaining(['state.db-wal', 'state.db-shm', 'archive.db-wal', 'fts.db-wal']));
    for (const secret of [stream.apiSecret, wrongSecret, otherSecret]) {
      const hits = scanForSecret(secret, { dirs: [dir] });
      expect(hits, `while running: ${hits.map((h) => `${h.where} [${h.form}] ${h.context}`).join(' | ')}`).toEqual([]);
    }
    expect(scanForSecret(stream.apiKey, { dirs: [dir] }).length).toBeGreaterThan(0);

    await app.close(); // flushes the databases and the log
    app = null;
    recorded.push({ name: 'sse /api/events', text: events.text() });
    expect(events.text()).toContain('"job.progress"');

    // ---- 3. the scan ---------------------------------------------------------------------------
    const p = dataPaths(dir);
    const sources: ScanSources = { dirs: [dir], texts: recorded };
    const files = scannedFiles(sources).map((f) => path.relative(dir, f));
    // Everything the brief names is really there and really read.
    for (const f of ['state.db', 'archive.db', 'fts.db', path.join('logs', 'archivist.log')]) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith(`evidence${path.sep}`)).length).toBeGreaterThanOrEqual(3);
    expect(fs.existsSync(p.tmpDir)).toBe(true);
    expect(recorded.filter((r) => r.name.startsWith('http ')).length).toBeGreaterThan(25);
    expect(recorded.filter((r) => r.name.startsWith('cli ')).length).toBeGreaterThan(20);

    // Positive controls: the same scan finds what is there (the API key in state.db and in HTTP
    // bodies) and would find the secret in any of its spellings, in a file as in a text.
    const keyHits = scanForSecret(stream.apiKey, sources);
    expect(keyHits.some((h) => /state\.db(-wal)?$/.test(h.where))).toBe(true);
    expect(keyHits.some((h) => h.where.startsWith('http profiles.list'))).toBe(true);
    const control = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-scan-control-'));
    try {
      const planted = Buffer.concat([fs.readFileSync(p.stateDb), Buffer.from(stream.apiSecret, 'utf16le')]);
      fs.writeFileSync(path.join(control, 'state.db'), planted);
      const controlHits = scanForSecret(stream.apiSecret, {
        dirs: [control],
        texts: [
          { name: 'json', text: JSON.stringify({ ok: true, value: { secret: stream.apiSecret } }) },
          { name: 'auth header', text: `Authorization: ${serverToken(stream.apiSecret)}` },
          { name: 'base64', text: Buffer.from(stream.apiSecret).toString('base64') },
        ],
      });
      expect(controlHits.map((h) => `${path.basename(h.where)}:${h.form}`).sort()).toEqual(['auth header:jwt', 'base64:base64', 'json:raw', 'state.db:utf16le']);
    } finally {
      fs.rmSync(control, { recursive: true, force: true });
    }

    for (const [label, secret] of Object.entries({ 'the app secret': stream.apiSecret, 'the wrong secret': wrongSecret, "the second profile's secret": otherSecret })) {
      const hits = scanForSecret(secret, sources);
      expect(hits, `${label} found in: ${hits.map((h) => `${h.where} [${h.form}] ${h.context}`).join(' | ')}`).toEqual([]);
    }
    // (What this costs, for the ~60 s budget.)
    console.info(`full secret scan: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${files.length} files, ${recorded.length} texts`);
  }, 120_000);
});

/** The most frequent lowercase word of the sandbox's messages (a query sure to hit). */
function mostCommonWord(sb: Sandbox): string {
  const counts = new Map<string, number>();
  for (const ch of sb.dataset.channels.slice(0, 4)) {
    for (const m of sb.dataset.messages(ch.cid)) {
      for (const w of String(m.text ?? '').toLowerCase().match(/\b[a-z]{5,}\b/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host: `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

/** Records the raw SSE stream until the server closes it. */
function openEvents(port: number, cookie: string): { connected: Promise<void>; text: () => string } {
  let buf = '';
  const connected = new Promise<void>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/events', headers: { cookie, host: `127.0.0.1:${port}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        if (buf.includes(': connected')) resolve();
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
    req.end();
  });
  return { connected, text: () => buf };
}
