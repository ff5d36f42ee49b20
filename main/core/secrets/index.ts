export type { SecretStore } from './types.ts';
export { KEYCHAIN_SERVICE } from './types.ts';
export { KeychainError, classifyKeychainMessage, keychainError, keychainRemedy, type KeychainErrorKind } from './errors.ts';
export { KeytarSecretStore, DEFAULT_KEYCHAIN_TIMEOUT_MS, type KeytarSecretStoreOptions } from './keytar.ts';
export { MemorySecretStore } from './memory.ts';
export { KEYTAR_HOST_PATH, forkLauncher, type HelperLauncher, type HelperProcess, type HostReply, type HostRequest } from './launcher.ts';

import { DEFAULT_KEYCHAIN_TIMEOUT_MS, KeytarSecretStore } from './keytar.ts';
import type { HelperLauncher } from './launcher.ts';

/**
 * The OS keychain with the time limit from ARCHIVIST_KEYCHAIN_TIMEOUT_MS (ms, default 10 s).
 * There is intentionally no switch to a file or environment variable store. `launcher` starts
 * the keychain helper (default: child_process.fork; the Electron main passes utilityProcess).
 */
export function createSecretStore(env: NodeJS.ProcessEnv = process.env, opts: { launcher?: HelperLauncher } = {}): KeytarSecretStore {
  const raw = Number(env.ARCHIVIST_KEYCHAIN_TIMEOUT_MS);
  const timeoutMs = Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_KEYCHAIN_TIMEOUT_MS;
  return new KeytarSecretStore({ timeoutMs, env, launcher: opts.launcher });
}
