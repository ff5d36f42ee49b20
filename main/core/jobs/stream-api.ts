/**
 * A Stream connection as the engine's ExportApi: the export client of main/core/stream (official
 * stream-chat SDK, retries, typed errors) with one rate limiter per Stream app, shared with
 * everything else in this process that talks to that app.
 *
 * Credentials always come from the ProfileService (`credentials(ref)`): the keychain for Stream
 * profiles, the running sandbox for sandbox profiles. Nothing here stores or logs them.
 */
import type Database from 'better-sqlite3';
import { createStreamClient, RateLimiter, type RateLimiterOptions, type StreamExportClient } from '../stream/index.ts';
import type { ExportApi } from './ports.ts';
import { ProfileError, ProfileService, type Profile, type ProfileCredentials } from '../profiles/index.ts';
import { createSecretStore, type SecretStore } from '../secrets/index.ts';

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

/** The Stream client for a connection, on the app's shared limiter (browsing and exports alike). */
export function streamClientFor(conn: StreamConnection): StreamExportClient {
  const limiter = conn.limiter instanceof RateLimiter ? conn.limiter : sharedLimiter(conn.baseURL, conn.apiKey, conn.limiter);
  return createStreamClient({ apiKey: conn.apiKey, apiSecret: conn.apiSecret, baseURL: conn.baseURL, timeoutMs: conn.timeoutMs, limiter });
}

export function exportApiFor(conn: StreamConnection): ExportApi {
  return streamClientFor(conn);
}

/** A profile's resolved credentials as a Stream client. */
export function streamClientForCredentials(creds: ProfileCredentials): StreamExportClient {
  return streamClientFor({ apiKey: creds.apiKey, apiSecret: creds.secret, baseURL: creds.baseUrl });
}

/**
 * The environment variable that gives a CLI process the secret of a *sandbox* profile. Sandbox
 * profiles keep no secret anywhere: inside the app, the in-process sandbox hands it over
 * directly; a separate CLI process can only be told (scripts and tests that start
 * `archivist sandbox --api-secret S`). Never consulted for Stream profiles (keychain only).
 */
export const SANDBOX_SECRET_ENV = 'ARCHIVIST_SANDBOX_SECRET';

/**
 * Resolves a profile (state.db + keychain) into a connection, for the CLI (`export --wait`,
 * `jobs run`): a Stream profile's secret comes from the OS keychain through the ProfileService;
 * a sandbox profile's from ARCHIVIST_SANDBOX_SECRET (see SANDBOX_SECRET_ENV).
 * The desktop app resolves through its own long-lived ProfileService (main/core/app/wire.ts).
 */
export async function exportApiForProfile(
  db: Database.Database,
  profileRef: string,
  o: { env?: NodeJS.ProcessEnv; secrets?: SecretStore } = {},
): Promise<ExportApi> {
  const env = o.env ?? process.env;
  const secrets = o.secrets ?? createSecretStore(env);
  const service = new ProfileService({ db, secrets, sandboxSecret: () => env[SANDBOX_SECRET_ENV] || null });
  try {
    return streamClientForCredentials(await service.credentials(profileRef));
  } catch (err) {
    if (err instanceof ProfileError && err.code === 'unavailable') {
      const profile = service.find(profileRef);
      if (profile?.kind === 'sandbox') throw new ProfileError('unavailable', sandboxFromCliMessage(profile));
    }
    throw err;
  } finally {
    // The keychain helper is only needed for this one read.
    if (!o.secrets) await secrets.close();
  }
}

function sandboxFromCliMessage(p: Profile): string {
  return (
    `"${p.name}" is a sandbox profile: its secret lives only in the running Archivist app that started that sandbox. ` +
    `Queue the collection without --wait while the app is open (the app collects it), or run \`archivist sandbox\` ` +
    `and register what it prints as a profile (archivist profile add --name NAME --api-key KEY --base-url URL --secret-stdin).`
  );
}
