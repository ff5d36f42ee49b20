/**
 * Where API secrets live. The only real implementation is the OS keychain (keytar); the
 * in-memory one exists for unit tests. Every method rejects with a KeychainError (./errors.ts)
 * on failure, never with a raw native error, and never falls back to storing the secret elsewhere.
 */
export interface SecretStore {
  /** 'keychain' or 'memory', for diagnostics. */
  readonly kind: string;
  /** Stores (or replaces) the secret of `account`, and checks that the keychain really kept it. */
  set(account: string, secret: string): Promise<void>;
  /** The secret, or null when none is stored (beware: a locked Linux keyring also says null). */
  get(account: string): Promise<string | null>;
  /** Deletes the secret; false when there was none (or, on a locked Linux keyring, when it could not see it). */
  delete(account: string): Promise<boolean>;
  /** Resolves when the keychain can store, read and delete right now; rejects with a KeychainError otherwise. */
  probe(): Promise<void>;
  /** Releases what the store holds (the keychain helper process). Safe to call twice. */
  close(): Promise<void>;
}

/** The keychain service name Archivist's items are stored under (account = profile id). */
export const KEYCHAIN_SERVICE = 'Archivist';

/** Account used by probe(); cannot collide with a profile id (a UUID). */
export const PROBE_ACCOUNT = '__archivist_probe__';
