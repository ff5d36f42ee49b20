import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../../main/web/index.ts';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Raw HTTP (fetch cannot set Host or omit Origin the way an attacker's client can). */
function request(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host: `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

describe('browser mode server', () => {
  let dir: string;
  let rendererDir: string;
  let app: BrowserMode;
  let port: number;
  let origin: string;
  let cookie: string;

  const api = (op: string, body: unknown, headers: Record<string, string> = {}) =>
    request(port, {
      method: 'POST',
      path: `/api/${op}`,
      headers: { cookie, origin, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-web-'));
    rendererDir = path.join(dir, 'renderer');
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Archivist</title>');
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
    app = await startBrowserMode({ dataDir: path.join(dir, 'data'), rendererDir });
    port = app.server.port;
    origin = app.server.origin;
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with a random port and a one-time token link', () => {
    expect(app.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?token=[A-Za-z0-9_-]{43}$`));
    expect(port).toBeGreaterThan(0);
  });

  it('refuses everything before sign-in', async () => {
    expect((await request(port, { path: '/' })).status).toBe(401);
    const res = await request(port, { method: 'POST', path: '/api/settings.get', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('refuses a wrong token', async () => {
    expect((await request(port, { path: '/?token=wrong' })).status).toBe(403);
  });

  it('exchanges the token once for an HttpOnly SameSite=Strict cookie', async () => {
    const token = new URL(app.url).searchParams.get('token')!;
    const res = await request(port, { path: `/?token=${token}` });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const setCookie = res.headers['set-cookie']![0];
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(new RegExp(`^archivist_${port}=`));
    cookie = setCookie.split(';')[0];
    // The link is spent: a second browser gets nothing.
    expect((await request(port, { path: `/?token=${token}` })).status).toBe(403);
  });

  it('serves the renderer with a strict CSP and security headers', async () => {
    const res = await request(port, { path: '/', headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Archivist</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect((await request(port, { path: '/assets/app.js', headers: { cookie } })).headers['content-type']).toMatch(/javascript/);
    expect((await request(port, { path: '/conversation/abc', headers: { cookie } })).body).toContain('<title>');
  });

  it('never serves files outside the renderer', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/../../secret.txt']) {
      const res = await request(port, { path: p, headers: { cookie } });
      expect(res.body, p).not.toContain('outside the renderer');
    }
  });

  it('answers contract operations as data', async () => {
    const res = await api('settings.get', {});
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.body)).toMatchObject({ ok: true, value: { theme: 'system' } });
    expect(JSON.parse((await api('archive.stats', {})).body)).toMatchObject({ ok: true, value: { messages: 0 } });
  });

  it('refuses unknown operations and malformed input', async () => {
    expect(JSON.parse((await api('no.such', {})).body)).toMatchObject({ ok: false, error: { code: 'unknown_operation' } });
    expect(JSON.parse((await api('archive.search', { query: ['x'] })).body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const notJson = await request(port, { method: 'POST', path: '/api/settings.get', headers: { cookie, origin, 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('checks Host (DNS rebinding), Origin and fetch metadata (CSRF)', async () => {
    expect((await api('settings.get', {}, { host: `evil.example:${port}` })).status).toBe(421);
    expect((await api('settings.get', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await api('settings.get', {}, { origin: 'null' })).status).toBe(403);
    expect((await api('settings.get', {}, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const noOrigin = await request(port, { method: 'POST', path: '/api/settings.get', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
    expect(noOrigin.status).toBe(403);
    // A form post cannot send JSON: refused.
    expect((await api('settings.get', {}, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await request(port, { method: 'GET', path: '/api/settings.get', headers: { cookie } })).status).toBe(405);
  });

  it('refuses oversized bodies', async () => {
    const res = await api('archive.search', { query: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
  });

  it('streams events over SSE', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/api/events', headers: { cookie, host: `127.0.0.1:${port}` } }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        let buf = '';
        res.on('data', (c) => {
          buf += c.toString();
          if (buf.includes(': connected')) app.core.emit({ type: 'archive.changed', messages: 7 });
          if (buf.includes('"archive.changed"')) {
            req.destroy();
            resolve(buf);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(received).toContain('event: app\ndata: {"type":"archive.changed","messages":7}');
  });
});
