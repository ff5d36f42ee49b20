/**
 * Browser mode: the contract over HTTP (POST /api/<op>) and server-sent events (GET /api/events),
 * plus the built renderer, on 127.0.0.1 only.
 *
 * Trust model: anyone on the machine can connect to a loopback port, and any web page the user
 * visits can make their browser send requests to it. So:
 * - a one-time token (printed in the URL) is exchanged for an HttpOnly, SameSite=Strict session
 *   cookie; every other request needs that cookie;
 * - the Host header must name this loopback port (defeats DNS rebinding);
 * - state-changing requests must carry our Origin and a JSON content type (defeats CSRF);
 * - cross-site fetch metadata is refused outright.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AppEvent } from '../../preload/contract.ts';
import type { ContractEndpoint } from '../core/app/dispatch.ts';
import { CONTENT_TYPES, STATIC_HEADERS } from './security.ts';

export interface WebServerOptions {
  core: ContractEndpoint;
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  log?: (message: string) => void;
}

export interface WebServer {
  /** The one-time URL to open (contains the token). */
  url: string;
  origin: string;
  port: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const rendererDir = path.resolve(opts.rendererDir);
  let token: string | null = crypto.randomBytes(32).toString('base64url');
  const sessions = new Set<string>();
  const streams = new Set<http.ServerResponse>();
  let port = 0;
  let cookieName = '';
  let allowedHosts: string[] = [];
  let allowedOrigins: string[] = [];

  const send = (res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...STATIC_HEADERS, 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  };
  const sendJson = (res: http.ServerResponse, status: number, value: unknown) =>
    send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8' });
  const refuse = (res: http.ServerResponse, status: number, code: string, message: string) =>
    sendJson(res, status, { ok: false, error: { code, message } });

  const hasSession = (req: http.IncomingMessage) => {
    const value = parseCookies(req.headers.cookie).get(cookieName);
    if (!value) return false;
    for (const s of sessions) if (safeEqual(s, value)) return true;
    return false;
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        if (over) return; // drain without keeping it, so the 413 reaches the client
        size += chunk.length;
        if (size > maxBody) {
          over = true;
          chunks.length = 0;
          reject(Object.assign(new Error('too large'), { status: 413 }));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
      });
      req.on('error', reject);
    });

  const serveStatic = (res: http.ServerResponse, pathname: string) => {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return send(res, 400, 'Bad path');
    }
    let file = path.resolve(rendererDir, '.' + path.posix.normalize('/' + rel));
    if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return send(res, 404, 'Not found');
    let stat = fs.statSync(file, { throwIfNoEntry: false });
    // The app routes with the URL hash, so any unknown non-asset path gets the shell.
    if (!stat || stat.isDirectory()) {
      if (path.extname(file)) return send(res, 404, 'Not found');
      file = path.join(rendererDir, 'index.html');
      stat = fs.statSync(file, { throwIfNoEntry: false });
      if (!stat) return send(res, 503, 'The renderer is not built. Run `npm run build:renderer` (npm start does it for you).');
    }
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      ...STATIC_HEADERS,
      'Content-Type': type,
      'Content-Length': String(stat.size),
      'Cache-Control': immutable ? 'private, max-age=31536000, immutable' : 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  };

  const openEvents = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, {
      ...STATIC_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    streams.add(res);
    const unsubscribe = opts.core.subscribe((event: AppEvent) => {
      res.write(`event: app\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(res);
    });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    // DNS rebinding: the page must have been loaded from our own loopback address.
    if (!allowedHosts.includes(req.headers.host ?? '')) return send(res, 421, 'Wrong host');
    // Fetch metadata: a request started by another site is refused before anything else.
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') return send(res, 403, 'Cross-site request refused');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.includes(origin)) return send(res, 403, 'Wrong origin');

    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);

    if (req.method === 'GET' && url.searchParams.has('token')) {
      const given = url.searchParams.get('token') ?? '';
      if (token && safeEqual(given, token)) {
        token = null; // one time only
        const session = crypto.randomBytes(32).toString('base64url');
        sessions.add(session);
        res.writeHead(303, {
          ...STATIC_HEADERS,
          'Set-Cookie': `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
          Location: '/',
          'Cache-Control': 'no-store',
        });
        return res.end();
      }
      if (!hasSession(req)) return send(res, 403, 'This link has already been used or is wrong. Restart `archivist serve` (or npm start) for a new one.');
      res.writeHead(303, { ...STATIC_HEADERS, Location: '/' });
      return res.end();
    }

    if (!hasSession(req)) {
      return url.pathname.startsWith('/api/')
        ? refuse(res, 401, 'forbidden', 'Not signed in: open the link printed when browser mode started.')
        : send(res, 401, 'Open the link printed by `archivist serve` (or npm start); it signs this browser in once.');
    }

    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return send(res, 405, 'Method not allowed');
      return openEvents(req, res);
    }

    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return refuse(res, 405, 'forbidden', 'Use POST.');
      // Browsers always send Origin on POST; a request without one did not come from our page.
      if (origin === undefined) return refuse(res, 403, 'forbidden', 'Missing Origin.');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return refuse(res, 415, 'invalid_input', 'Send application/json.');
      }
      let body: unknown;
      try {
        const raw = await readBody(req);
        body = raw ? JSON.parse(raw) : {};
      } catch (err) {
        const status = (err as { status?: number }).status ?? 400;
        return refuse(res, status, 'invalid_input', status === 413 ? 'Request too large.' : 'The request body is not JSON.');
      }
      const op = decodeURIComponent(url.pathname.slice('/api/'.length));
      const outcome = await opts.core.invoke(op, body);
      return sendJson(res, 200, outcome);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
    return serveStatic(res, url.pathname);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      opts.log?.(`browser mode request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, 500, 'Internal error');
      else res.end();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  cookieName = `archivist_${port}`; // cookies ignore ports: keep two instances apart
  allowedHosts = [`${HOST}:${port}`, `localhost:${port}`];
  allowedOrigins = [`http://${HOST}:${port}`, `http://localhost:${port}`];
  const origin = `http://${HOST}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    async close() {
      for (const s of streams) s.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
