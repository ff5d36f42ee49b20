/**
 * "Test connection": one cheap, read-only, server-authenticated call (GET /rate_limits, through
 * the Stream client of main/core/stream) that tells apart a wrong API key, a wrong secret, a
 * suspended app, an unreachable host, and success.
 *
 * No retries here: a person is waiting for a verdict, and retrying an unreachable host would only
 * delay it. Messages come from the Stream client's errors (which never carry the secret or the
 * token signed with it) and are scrubbed once more by the redactor.
 */
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

export async function testConnection(target: ConnectionTarget, opts: TestConnectionOptions = {}): Promise<ConnectionTestResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const started = Date.now();
  const done = (outcome: ConnectionTestResult['outcome'], message: string): ConnectionTestResult => ({
    outcome,
    message: redact(target.secret ? message.split(target.secret).join('[redacted]') : message),
    took_ms: Date.now() - started,
  });
  // Loaded on first use: stream-chat takes ~0.3 s to import, which `profile list` need not pay.
  const { createStreamClient, StreamError } = await import('../stream/index.ts');
  try {
    const client = createStreamClient({ apiKey: target.apiKey, apiSecret: target.secret, baseURL: target.baseUrl, timeoutMs, retry: { maxAttempts: 1 } });
    await client.testConnection();
    return done('ok', `Connected to ${hostOf(target.baseUrl)}: the API key and secret are valid.`);
  } catch (err) {
    if (!(err instanceof StreamError)) return done('error', `The connection test failed: ${err instanceof Error ? err.message : String(err)}`);
    switch (err.kind) {
      case 'bad_key':
        return done('wrong_key', err.message);
      case 'bad_secret':
        return done('wrong_secret', err.message);
      case 'suspended':
        return done('suspended', err.message);
      case 'rate_limited':
        return done('rate_limited', `Stream is rate-limiting this app right now, so the key and secret could not be checked. Try again in a minute.`);
      case 'network':
        return done('unreachable', err.message);
      case 'timeout':
        // (The client's own message promises a retry, which a connection test does not do.)
        return done('unreachable', `${hostOf(target.baseUrl)} did not answer within ${Math.max(1, Math.round(timeoutMs / 1000))} s. Check the base URL and the network or proxy.`);
      default:
        // An answer without a Stream error body: most likely the base URL points somewhere else.
        if (err.status !== undefined && (err.code === null || err.code === undefined))
          return done('error', `${hostOf(target.baseUrl)} answered HTTP ${err.status}, which does not look like Stream. Check the base URL (for example https://chat.stream-io-api.com).`);
        return done('error', err.message);
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}
