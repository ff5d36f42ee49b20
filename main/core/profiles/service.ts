/**
 * Profiles: one per Stream application (name, API key, base URL, kind), in state.db; the secret
 * lives only in the SecretStore (the OS keychain), under the profile's id. Sandbox profiles have
 * no stored secret: the running sandbox hands it over (`sandboxSecret`).
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { nullLogger, type Logger } from '../log/logger.ts';
import { registerSecret } from '../log/redact.ts';
import { KeychainError } from '../secrets/errors.ts';
import type { SecretStore } from '../secrets/types.ts';
import { ProfileError } from './errors.ts';
import { testConnection as streamTestConnection, type ConnectionTarget, type ConnectionTestResult, type TestConnectionOptions } from './test-connection.ts';
import {
  addProfileInput,
  baseUrl as baseUrlSchema,
  DEFAULT_BASE_URL,
  isProfileId,
  nameKey,
  parseOrMessage,
  profileName,
  secret as secretSchema,
  type AddProfileInput,
  type ProfileKind,
} from './validate.ts';

export interface Profile {
  id: string;
  name: string;
  api_key: string;
  base_url: string;
  kind: ProfileKind;
  created_at: string;
  updated_at: string;
  last_connected_at: string | null;
  /** The keychain accepted a secret for it (never the secret itself). Always false for sandbox profiles. */
  has_secret: boolean;
}

/** What a Stream connection needs. Keep it in main: never log, persist or send it anywhere. */
export interface ProfileCredentials {
  profile: Profile;
  apiKey: string;
  baseUrl: string;
  secret: string;
}

export interface ProfileServiceDeps {
  db: Database.Database;
  secrets: SecretStore;
  /** The secret of a sandbox profile, from the running sandbox (null when it is not running). */
  sandboxSecret?: (profile: Profile) => string | null | Promise<string | null>;
  /** The connection test (default: ./test-connection.ts over stream-chat). */
  testConnection?: (target: ConnectionTarget, opts: TestConnectionOptions) => Promise<ConnectionTestResult>;
  log?: Logger;
  now?: () => Date;
}

interface Row {
  id: string;
  name: string;
  api_key: string;
  base_url: string;
  kind: ProfileKind;
  secret_saved_at: string | null;
  created_at: string;
  updated_at: string;
  last_connected_at: string | null;
}

const toProfile = (r: Row): Profile => ({
  id: r.id,
  name: r.name,
  api_key: r.api_key,
  base_url: r.base_url,
  kind: r.kind,
  created_at: r.created_at,
  updated_at: r.updated_at,
  last_connected_at: r.last_connected_at,
  has_secret: r.kind === 'stream' && r.secret_saved_at !== null,
});

function check<T>(parsed: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!parsed.ok) throw new ProfileError('invalid_input', parsed.message);
  return parsed.value;
}

export class ProfileService {
  private readonly db: Database.Database;
  private readonly secrets: SecretStore;
  private readonly deps: ProfileServiceDeps;
  private readonly log: Logger;

  constructor(deps: ProfileServiceDeps) {
    this.db = deps.db;
    this.secrets = deps.secrets;
    this.deps = deps;
    this.log = (deps.log ?? nullLogger).child({ component: 'profiles' });
  }

  list(): Profile[] {
    return (this.db.prepare('SELECT * FROM profiles ORDER BY name_key').all() as Row[]).map(toProfile);
  }

  /** By id or by name (case-insensitive); null when there is none. */
  find(ref: string): Profile | null {
    const row = this.row(ref);
    return row ? toProfile(row) : null;
  }

  /** By id or by name (case-insensitive); throws `not_found`. */
  get(ref: string): Profile {
    return toProfile(this.mustRow(ref));
  }

  /**
   * Creates a profile. A `stream` profile needs its secret, which goes to the keychain first: if
   * the keychain fails, nothing is created (and nothing is kept anywhere else).
   */
  async add(input: AddProfileInput): Promise<Profile> {
    const v = check(parseOrMessage(addProfileInput, input));
    const kind = v.kind ?? 'stream';
    if (kind === 'stream' && !v.secret) throw new ProfileError('invalid_input', 'secret is required for a Stream profile');
    if (kind === 'sandbox' && v.secret) throw new ProfileError('invalid_input', 'a sandbox profile takes no secret (the sandbox provides it)');
    if (kind === 'sandbox' && !v.base_url) throw new ProfileError('invalid_input', 'base URL is required for a sandbox profile');
    this.assertNameFree(v.name);
    const id = randomUUID();
    const now = this.now();
    if (v.secret) {
      registerSecret(v.secret);
      await this.secrets.set(id, v.secret);
    }
    try {
      this.db
        .prepare(
          `INSERT INTO profiles (id, name, name_key, api_key, base_url, kind, secret_saved_at, created_at, updated_at, last_connected_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        )
        .run(id, v.name, nameKey(v.name), v.api_key, v.base_url ?? DEFAULT_BASE_URL, kind, v.secret ? now : null, now, now);
    } catch (err) {
      if (v.secret) await this.secrets.delete(id).catch(() => false);
      if (isUniqueViolation(err)) throw nameTaken(v.name);
      throw err;
    }
    const profile = this.get(id);
    this.log.info('profile added', { profile_id: id, name: profile.name, kind, base_url: profile.base_url });
    return profile;
  }

  rename(ref: string, name: string): Profile {
    const row = this.mustRow(ref);
    const newName = check(parseOrMessage(profileName, name));
    if (nameKey(newName) !== nameKey(row.name)) this.assertNameFree(newName);
    try {
      this.db.prepare('UPDATE profiles SET name = ?, name_key = ?, updated_at = ? WHERE id = ?').run(newName, nameKey(newName), this.now(), row.id);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(newName);
      throw err;
    }
    this.log.info('profile renamed', { profile_id: row.id, name: newName });
    return this.get(row.id);
  }

  setBaseUrl(ref: string, url: string): Profile {
    const row = this.mustRow(ref);
    const value = check(parseOrMessage(baseUrlSchema, url));
    this.db.prepare('UPDATE profiles SET base_url = ?, updated_at = ? WHERE id = ?').run(value, this.now(), row.id);
    this.log.info('profile base URL changed', { profile_id: row.id, base_url: value });
    return this.get(row.id);
  }

  /** Replaces the secret in the keychain (same item, new value). */
  async rotateSecret(ref: string, newSecret: string): Promise<Profile> {
    const row = this.mustRow(ref);
    if (row.kind === 'sandbox') throw new ProfileError('invalid_input', `"${row.name}" is a sandbox profile: it has no secret to replace`);
    const value = check(parseOrMessage(secretSchema, newSecret));
    registerSecret(value);
    await this.secrets.set(row.id, value);
    const now = this.now();
    this.db.prepare('UPDATE profiles SET secret_saved_at = ?, updated_at = ? WHERE id = ?').run(now, now, row.id);
    this.log.info('profile secret replaced', { profile_id: row.id });
    return this.get(row.id);
  }

  /**
   * The key, URL and secret for a Stream connection (stream client, jobs). Throws KeychainError
   * when the keychain cannot answer, ProfileError('keychain') when the secret is missing.
   */
  async credentials(ref: string): Promise<ProfileCredentials> {
    const profile = this.get(ref);
    let secret: string | null;
    if (profile.kind === 'sandbox') {
      secret = (await this.deps.sandboxSecret?.(profile)) ?? null;
      if (!secret) throw new ProfileError('unavailable', `"${profile.name}" is a sandbox profile and the sandbox is not running. Start the sandbox first.`);
    } else {
      secret = await this.secrets.get(profile.id);
      if (secret === null) {
        // A locked Linux keyring answers reads with "nothing" rather than an error: ask the
        // keychain whether it works at all before telling the user the secret is gone.
        await this.secrets.probe();
        throw new ProfileError(
          'keychain',
          `The system keychain has no secret for profile "${profile.name}". Set it again: archivist profile rotate "${profile.name}" --secret-stdin (or Profiles ▸ Replace secret).`,
        );
      }
    }
    registerSecret(secret);
    return { profile, apiKey: profile.api_key, baseUrl: profile.base_url, secret };
  }

  /** Tests the connection; records `last_connected_at` on success. Keychain trouble is an outcome, not a throw. */
  async test(ref: string, opts: TestConnectionOptions = {}): Promise<ConnectionTestResult> {
    const started = Date.now();
    let creds: ProfileCredentials;
    try {
      creds = await this.credentials(ref);
    } catch (err) {
      if (err instanceof KeychainError) return { outcome: 'keychain', message: err.userMessage, took_ms: Date.now() - started };
      if (err instanceof ProfileError && err.code === 'keychain') return { outcome: 'keychain', message: err.message, took_ms: Date.now() - started };
      throw err;
    }
    const run = this.deps.testConnection ?? streamTestConnection;
    const result = await run({ apiKey: creds.apiKey, secret: creds.secret, baseUrl: creds.baseUrl }, opts);
    if (result.outcome === 'ok') this.markConnected(creds.profile.id);
    this.log.info('profile connection tested', { profile_id: creds.profile.id, outcome: result.outcome, took_ms: result.took_ms });
    return result;
  }

  /** Records a successful connection (the stream client calls this too). */
  markConnected(ref: string): void {
    const row = this.mustRow(ref);
    this.db.prepare('UPDATE profiles SET last_connected_at = ? WHERE id = ?').run(this.now(), row.id);
  }

  /**
   * Deletes the profile and its keychain item. If the keychain cannot be reached the profile
   * stays (so that no orphan secret is left behind unknowingly), unless `force`, which removes it
   * anyway and reports `secretLeft: true`.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<{ profile: Profile; secretLeft: boolean }> {
    const row = this.mustRow(ref);
    let secretLeft = false;
    if (row.kind === 'stream') {
      try {
        const deleted = await this.secrets.delete(row.id);
        // A locked Linux keyring hides items and "deletes" nothing without an error.
        if (!deleted && row.secret_saved_at !== null) await this.secrets.probe();
      } catch (err) {
        if (!opts.force || !(err instanceof KeychainError)) throw err;
        secretLeft = true;
        this.log.warn('profile removed but its keychain item could not be deleted', { profile_id: row.id, err: err.message });
      }
    }
    this.db.prepare('DELETE FROM profiles WHERE id = ?').run(row.id);
    this.log.info('profile removed', { profile_id: row.id, name: row.name });
    return { profile: toProfile(row), secretLeft };
  }

  /**
   * Creates or updates the sandbox profile `name` (the sandbox gets a new port and key when it
   * starts). Refuses to touch a Stream profile of that name.
   */
  ensureSandbox(input: { api_key: string; base_url: string; name?: string }): Profile {
    const name = check(parseOrMessage(profileName, input.name ?? 'Sandbox'));
    const row = this.row(name);
    if (!row) {
      const v = check(parseOrMessage(addProfileInput, { name, api_key: input.api_key, base_url: input.base_url, kind: 'sandbox' }));
      const id = randomUUID();
      const now = this.now();
      this.db
        .prepare(
          `INSERT INTO profiles (id, name, name_key, api_key, base_url, kind, secret_saved_at, created_at, updated_at, last_connected_at)
           VALUES (?, ?, ?, ?, ?, 'sandbox', NULL, ?, ?, NULL)`,
        )
        .run(id, v.name, nameKey(v.name), v.api_key, v.base_url!, now, now);
      this.log.info('sandbox profile added', { profile_id: id, base_url: v.base_url });
      return this.get(id);
    }
    if (row.kind !== 'sandbox') throw new ProfileError('conflict', `A Stream profile is already called "${row.name}"; choose another name for the sandbox profile.`);
    const v = check(parseOrMessage(addProfileInput, { name, api_key: input.api_key, base_url: input.base_url, kind: 'sandbox' }));
    if (v.api_key !== row.api_key || v.base_url !== row.base_url) {
      this.db.prepare('UPDATE profiles SET api_key = ?, base_url = ?, updated_at = ? WHERE id = ?').run(v.api_key, v.base_url!, this.now(), row.id);
    }
    return this.get(row.id);
  }

  private row(ref: string): Row | null {
    if (typeof ref !== 'string' || !ref.trim()) return null;
    const r = ref.trim();
    const byId = isProfileId(r) ? (this.db.prepare('SELECT * FROM profiles WHERE id = ?').get(r.toLowerCase()) as Row | undefined) : undefined;
    return byId ?? (this.db.prepare('SELECT * FROM profiles WHERE name_key = ?').get(nameKey(r)) as Row | undefined) ?? null;
  }

  private mustRow(ref: string): Row {
    const row = this.row(ref);
    if (!row) throw new ProfileError('not_found', `There is no profile "${String(ref).slice(0, 100)}". List them with: archivist profile list`);
    return row;
  }

  private assertNameFree(name: string): void {
    if (this.db.prepare('SELECT 1 FROM profiles WHERE name_key = ?').get(nameKey(name))) throw nameTaken(name);
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

const nameTaken = (name: string) => new ProfileError('conflict', `A profile called "${name}" already exists (names are compared ignoring case).`);

const isUniqueViolation = (err: unknown) => (err as { code?: unknown })?.code === 'SQLITE_CONSTRAINT_UNIQUE';
