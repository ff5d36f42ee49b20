/**
 * A Stream connection as the engine's ExportApi: the export client of main/core/stream (official
 * stream-chat SDK, retries, typed errors) with one rate limiter per Stream app, shared with
 * everything else in this process that talks to that app.
 */
import type Database from 'better-sqlite3';
import { createStreamClient, RateLimiter, type RateLimiterOptions } from '../stream/index.ts';
import type { ExportApi } from './ports.ts';
import { ProfileService, type Profile } from '../profiles/index.ts';
import { createSecretStore, MemorySecretStore } from '../secrets/index.ts';

export interface StreamConnection {
  baseURL?: string;
  apiKey: string;
  apiSecret: string;
  timeoutMs?: number;
  /** Limiter options for a new shared limiter (tests scale the windows). */
  limiter?: RateLimiter | RateLimiterOptions;
}

const limiters = new Map<string, RateLimiter>();

/** One limiter per (base URL, API key): Stream's limits are per app. */
export function sharedLimiter(baseURL: string | undefined, apiKey: string, opts?: RateLimiterOptions): RateLimiter {
  const key = `${baseURL ?? ''}|${apiKey}`;
  let l = limiters.get(key);
  if (!l) {
    l = new RateLimiter(opts);
    limiters.set(key, l);
  }
  return l;
}

export function exportApiFor(conn: StreamConnection): ExportApi {
  const limiter = conn.limiter instanceof RateLimiter ? conn.limiter : sharedLimiter(conn.baseURL, conn.apiKey, conn.limiter);
  return createStreamClient({ apiKey: conn.apiKey, apiSecret: conn.apiSecret, baseURL: conn.baseURL, timeoutMs: conn.timeoutMs, limiter });
}

/** The profile a user named (by name or id); throws a ProfileError('not_found') with advice. */
export function resolveProfile(db: Database.Database, ref: string): Profile {
  return new ProfileService({ db, secrets: new MemorySecretStore() }).get(ref);
}

/**
 * Resolves a profile (state.db + keychain) into a connection. A sandbox profile keeps no secret:
 * the running sandbox's secret comes from ARCHIVIST_SANDBOX_SECRET (the desktop app hands its
 * in-process sandbox over directly, see main/core/app/wire.ts).
 */
export async function exportApiForProfile(db: Database.Database, profileId: string, o: { env?: NodeJS.ProcessEnv } = {}): Promise<ExportApi> {
  const env = o.env ?? process.env;
  const profile = resolveProfile(db, profileId);
  if (profile.kind === 'sandbox') {
    const secret = env.ARCHIVIST_SANDBOX_SECRET;
    if (!secret) throw new Error(`"${profile.name}" is a sandbox profile: start the sandbox and pass its secret in ARCHIVIST_SANDBOX_SECRET.`);
    return exportApiFor({ apiKey: profile.api_key, apiSecret: secret, baseURL: profile.base_url });
  }
  const secrets = createSecretStore(env);
  try {
    const creds = await new ProfileService({ db, secrets }).credentials(profile.id);
    return exportApiFor({ apiKey: creds.apiKey, apiSecret: creds.secret, baseURL: creds.baseUrl });
  } finally {
    await secrets.close();
  }
}
