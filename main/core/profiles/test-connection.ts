/**
 * "Test connection": one cheap, read-only, server-authenticated call (GET /rate_limits) that tells
 * apart a wrong API key, a wrong secret, a suspended app, an unreachable host, and success.
 *
 * INTERIM: talks to the official stream-chat SDK directly. TODO(issue 3): go through
 * main/core/stream's client once it lands, so the test shares its rate limiter and settings.
 *
 * No message built here contains the secret or the server token derived from it: messages are
 * written from the status, Stream's error code and the host, and anything echoed by the server
 * is scrubbed. SDK error objects (which carry the request headers) are never passed on.
 */
import http from 'node:http';
import https from 'node:https';
import type { StreamChat } from 'stream-chat';
import type { ConnectionTestResult } from '../../../preload/contract.ts';
import { redact } from '../log/redact.ts';

export type { ConnectionTestResult };

export interface ConnectionTarget {
  apiKey: string;
  secret: string;
  baseUrl: string;
}

export interface TestConnectionOptions {
  /** Request time limit (default 10 s). */
  timeoutMs?: number;
}

/**
 * A server-side stream-chat client. The SDK lets STREAM_LOCAL_TEST_HOST / STREAM_LOCAL_TEST_RUN
 * override any baseURL (toolchain.md): they are removed so the profile's URL is the one used.
 */
export async function serverClient(target: ConnectionTarget, timeoutMs: number): Promise<StreamChat> {
  // Loaded on first use: the SDK takes ~0.3 s to import, which `profile list` or app start-up need not pay.
  const { StreamChat } = await import('stream-chat');
  delete process.env.STREAM_LOCAL_TEST_HOST;
  delete process.env.STREAM_LOCAL_TEST_RUN;
  return new StreamChat(target.apiKey, target.secret, {
    baseURL: target.baseUrl,
    timeout: timeoutMs,
    // One request: no keep-alive sockets left behind to hold a CLI open.
    httpAgent: new http.Agent({ keepAlive: false }),
    httpsAgent: new https.Agent({ keepAlive: false }),
  });
}

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'EPROTO']);
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL/i;

interface SdkErrorShape {
  status?: unknown;
  code?: unknown;
  message?: unknown;
  response?: { status?: number; data?: unknown };
}

export async function testConnection(target: ConnectionTarget, opts: TestConnectionOptions = {}): Promise<ConnectionTestResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const started = Date.now();
  const host = hostOf(target.baseUrl);
  const done = (outcome: ConnectionTestResult['outcome'], message: string): ConnectionTestResult => ({
    outcome,
    message: scrub(message, target.secret),
    took_ms: Date.now() - started,
  });
  try {
    await (await serverClient(target, timeoutMs)).getRateLimits({ serverSide: true, endpoints: ['QueryChannels'] });
    return done('ok', `Connected to ${host}: the API key and secret are valid.`);
  } catch (err) {
    const e = (err ?? {}) as SdkErrorShape;
    const status = typeof e.status === 'number' ? e.status : e.response?.status;
    if (typeof status !== 'number') {
      const code = typeof e.code === 'string' ? e.code : '';
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(String(e.message)))
        return done('unreachable', `${host} did not answer within ${Math.round(timeoutMs / 1000)} s. Check the base URL and your network or proxy.`);
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return done('unreachable', `The host name ${host} cannot be resolved. Check the base URL and your network or DNS.`);
      if (code === 'ECONNREFUSED') return done('unreachable', `${host} refused the connection. Check the base URL (and that the server is running).`);
      if (TLS.test(code) || TLS.test(String(e.message)))
        return done('unreachable', `The TLS certificate of ${host} was not accepted (${code || 'certificate error'}). Check the base URL, or your proxy's certificate.`);
      if (NETWORK.has(code)) return done('unreachable', `${host} cannot be reached (${code}). Check the base URL and your network.`);
      return done('error', `The connection to ${host} failed${code ? ` (${code})` : ''}.`);
    }
    const data = (e.response?.data ?? {}) as { code?: unknown; message?: unknown };
    const streamCode = typeof data.code === 'number' ? data.code : typeof e.code === 'number' ? e.code : null;
    const said = typeof data.message === 'string' ? ` Stream said: ${data.message.slice(0, 300)}` : '';
    if (status === 401 && streamCode === 2)
      return done('wrong_key', `Stream does not know the API key "${target.apiKey}". Copy the key again from the Stream dashboard (your app ▸ Overview ▸ App Access Keys).`);
    if (status === 401 && streamCode === 43)
      return done('wrong_secret', `The secret does not belong to API key "${target.apiKey}". Copy the secret again from the Stream dashboard and replace it (profile rotate).`);
    if (status === 403 && streamCode === 99)
      return done('suspended', 'This Stream app is suspended (Stream error 99). Check its status and billing in the Stream dashboard or contact Stream support.');
    if (status === 429 || streamCode === 9) return done('rate_limited', 'Stream is rate-limiting this app right now; the key and secret could not be checked. Try again in a minute.');
    if (streamCode === null)
      return done('error', `${host} answered HTTP ${status}, which does not look like Stream. Check the base URL (for example https://chat.stream-io-api.com).`);
    if (status >= 500) return done('error', `Stream had a problem (HTTP ${status}, error ${streamCode}); try again later.${said}`);
    return done('error', `Stream refused the request (HTTP ${status}, error ${streamCode}).${said}`);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

function scrub(text: string, secret: string): string {
  return redact(secret ? text.split(secret).join('[redacted]') : text);
}
