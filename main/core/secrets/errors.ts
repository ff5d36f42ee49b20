/**
 * What can go wrong with the OS keychain, said so that a user can fix it. Every keychain failure
 * becomes a KeychainError whose `remedy` names the fix on the user's OS. There is deliberately no
 * fallback that would keep a secret anywhere else.
 */

export type KeychainErrorKind = 'unavailable' | 'locked' | 'timeout' | 'denied' | 'unknown';

export class KeychainError extends Error {
  override name = 'KeychainError';
  /** Contract error code (main/core/app/errors.ts passes `code` + `userMessage` through). */
  readonly code = 'keychain';
  readonly kind: KeychainErrorKind;
  readonly remedy: string;
  /** Message and remedy in one sentence pair: what the UI shows. */
  readonly userMessage: string;

  constructor(kind: KeychainErrorKind, message: string, remedy: string) {
    super(message);
    this.kind = kind;
    this.remedy = remedy;
    this.userMessage = `${message} ${remedy}`;
  }

  toJSON() {
    return { kind: this.kind, message: this.message, remedy: this.remedy };
  }
}

/**
 * Maps a native keychain message (libsecret/GLib on Linux, Security.framework on macOS, the
 * Credential Manager on Windows) to a kind. Patterns come from messages seen on a real
 * gnome-keyring (test/keychain) and keytar's sources.
 */
export function classifyKeychainMessage(raw: string): KeychainErrorKind {
  if (/locked collection|is locked|collection.*locked|User interaction is not allowed|errSecInteractionNotAllowed|-25308/i.test(raw)) return 'locked';
  if (/dismissed|cancel+ed|canceled by user|AccessDenied|access denied|not allowed|errSecAuthFailed|-25293|-128\b|authorization/i.test(raw)) return 'denied';
  if (/Timeout was reached|Did not receive a reply|NoReply|timed? ?out/i.test(raw)) return 'timeout';
  if (
    /autolaunch D-Bus|Could not connect|Failed to connect|Cannot spawn a message bus|not provided by any \.service files|ServiceUnknown|org\.freedesktop\.secrets|Object does not exist at path|No such object|No such interface|Error spawning command line|cannot open shared object file|libsecret|No keychain is available|errSecNoDefaultKeychain|-25307|NotSupported|not supported/i.test(
      raw,
    )
  )
    return 'unavailable';
  return 'unknown';
}

const LINUX_DBUS =
  'make sure a D-Bus session bus is running (DBUS_SESSION_BUS_ADDRESS is set; on a headless machine start one with `dbus-run-session`)';

/** What to do about it, on this OS. */
export function keychainRemedy(kind: KeychainErrorKind, platform: NodeJS.Platform = process.platform, timeoutMs?: number): string {
  const secs = timeoutMs ? `${Math.round(timeoutMs / 100) / 10} s` : 'the time limit';
  if (platform === 'darwin') {
    switch (kind) {
      case 'locked':
        return 'Unlock your login keychain (Keychain Access ▸ File ▸ Unlock Keychain “login”) and try again.';
      case 'denied':
        return 'Allow Archivist when macOS asks for keychain access; if you chose “Deny” before, open Keychain Access, find the “Archivist” item and allow Archivist under Access Control.';
      case 'timeout':
        return `macOS did not answer within ${secs}: it may be waiting for you to answer a keychain prompt. Answer it (or unlock the login keychain in Keychain Access) and try again.`;
      default:
        return 'Open Keychain Access and make sure the “login” keychain exists and is the default keychain, then try again.';
    }
  }
  if (platform === 'win32') {
    switch (kind) {
      case 'locked':
      case 'denied':
        return 'Sign in to Windows with your own account (not a service account) and check Control Panel ▸ Credential Manager ▸ Windows Credentials, then try again.';
      case 'timeout':
        return `Windows Credential Manager did not answer within ${secs}. Check Control Panel ▸ Credential Manager, then try again.`;
      default:
        return 'Archivist keeps API secrets in Windows Credential Manager. Make sure it is available for your account (Control Panel ▸ Credential Manager) and try again.';
    }
  }
  switch (kind) {
    case 'locked':
      return 'Unlock your login keyring (GNOME: “Passwords and Keys”/Seahorse, or log out and back in; KDE: KWallet Manager) and try again. Headless: `echo -n PASSWORD | gnome-keyring-daemon --unlock`.';
    case 'denied':
      return 'The keyring refused access, usually because its unlock prompt was dismissed. Try again and accept the prompt, or unlock the login keyring in Seahorse/KWallet Manager first.';
    case 'timeout':
      return `The Secret Service did not answer within ${secs}: it is probably waiting on an unlock prompt that nobody can see. Unlock the login keyring (Seahorse/KWallet Manager) or restart gnome-keyring-daemon, then try again.`;
    default:
      return `Archivist keeps API secrets only in the system keyring (Secret Service). Install and start GNOME Keyring or KWallet (\`sudo apt install gnome-keyring libsecret-1-0\`), ${LINUX_DBUS}, and make sure a login keyring exists and is unlocked.`;
  }
}

const SUMMARY: Record<KeychainErrorKind, string> = {
  unavailable: 'The system keychain is not available.',
  locked: 'The system keychain is locked.',
  timeout: 'The system keychain did not answer in time.',
  denied: 'The system keychain refused access.',
  unknown: 'The system keychain failed.',
};

/**
 * Builds the error for a native failure. `detail` is the native message (it never contains the
 * secret: libsecret, Security.framework and wincred do not echo item values).
 */
export function keychainError(
  kind: KeychainErrorKind,
  detail: string | null,
  opts: { platform?: NodeJS.Platform; timeoutMs?: number } = {},
): KeychainError {
  const message = detail ? `${SUMMARY[kind]} (${detail.trim().replace(/\s+/g, ' ').slice(0, 300)})` : SUMMARY[kind];
  return new KeychainError(kind, message, keychainRemedy(kind, opts.platform, opts.timeoutMs));
}
