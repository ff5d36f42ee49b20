/**
 * The OS keychain through keytar (macOS Keychain, Windows Credential Manager, Linux Secret
 * Service via libsecret): service "Archivist", account = profile id.
 *
 * Why a helper process rather than Promise.race around keytar in this process: keytar's native
 * call runs on libuv's thread pool and, with a locked Linux keyring and a display, waits forever
 * on an unlock prompt. Racing it against a timer returns control, but the stuck call keeps a
 * pool thread (four in all, shared with fs/dns/crypto) and keeps the process alive, so a CLI
 * would print its error and then never exit (measured: exit waits for the native call). A worker
 * thread shares the same pool. A child process can be killed: on timeout we kill it, reject
 * what it had in flight, and start a fresh one on the next call. The helper is started lazily,
 * kept while the process lives, and unref'd while idle, so it never holds a CLI open. How it is
 * started is the launcher's business (./launcher.ts: child_process.fork under Node, Electron's
 * utilityProcess in the desktop app).
 */
import { KeychainError, classifyKeychainMessage, keychainError } from './errors.ts';
import { KEYTAR_HOST_PATH, forkLauncher, type HelperLauncher, type HelperProcess, type HostReply, type HostRequest } from './launcher.ts';
import { KEYCHAIN_SERVICE, PROBE_ACCOUNT, type SecretStore } from './types.ts';

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 10_000;

export interface KeytarSecretStoreOptions {
  /** Keychain service name (default "Archivist"). */
  service?: string;
  /** Limit for each keychain call, helper start-up included (default 10 s). */
  timeoutMs?: number;
  /** Environment of the helper process: D-Bus session address, DISPLAY… (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Whose remedies to give (default process.platform). */
  platform?: NodeJS.Platform;
  /** How the helper process is started (default: child_process.fork, for Node). */
  launcher?: HelperLauncher;
}

interface Pending {
  child: HelperProcess;
  op: HostRequest['op'];
  timer: NodeJS.Timeout;
  resolve: (value: string | boolean | null) => void;
  reject: (err: KeychainError) => void;
}

export class KeytarSecretStore implements SecretStore {
  readonly kind = 'keychain';
  readonly service: string;
  readonly timeoutMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly platform: NodeJS.Platform;
  private readonly launch: HelperLauncher;
  private child: HelperProcess | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor(opts: KeytarSecretStoreOptions = {}) {
    this.service = opts.service ?? KEYCHAIN_SERVICE;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS;
    this.env = opts.env ?? process.env;
    this.platform = opts.platform ?? process.platform;
    this.launch = opts.launcher ?? forkLauncher;
  }

  async set(account: string, secret: string): Promise<void> {
    if (!secret) throw new TypeError('secret is required');
    await this.call('set', account, secret);
  }

  async get(account: string): Promise<string | null> {
    const value = await this.call('get', account);
    return typeof value === 'string' ? value : null;
  }

  async delete(account: string): Promise<boolean> {
    return (await this.call('delete', account)) === true;
  }

  async probe(): Promise<void> {
    await this.call('probe', PROBE_ACCOUNT);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const closed = keychainError('unknown', 'the keychain store was closed', { platform: this.platform });
    this.abandon(child, () => closed);
  }

  /** PID of the helper process, if one is running (tests check it is gone after a timeout). */
  get helperPid(): number | undefined {
    return this.child?.pid;
  }

  private call(op: HostRequest['op'], account: string, secret?: string): Promise<string | boolean | null> {
    if (typeof account !== 'string' || !account) return Promise.reject(new TypeError('account is required'));
    let child: HelperProcess;
    try {
      child = this.child ?? this.spawn();
    } catch (err) {
      return Promise.reject(this.toError((err as Error).message));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.abandon(child, (pendingOp) => this.timeoutError(pendingOp));
      }, this.timeoutMs);
      this.pending.set(id, { child, op, timer, resolve, reject });
      child.ref();
      const req: HostRequest = { id, op, service: this.service, account, secret };
      child.send(req, (err) => {
        const e = this.toError(`cannot talk to the keychain helper: ${err.message}`);
        this.abandon(child, () => e);
      });
    });
  }

  private spawn(): HelperProcess {
    const child = this.launch(KEYTAR_HOST_PATH, { ...this.env });
    child.on('message', (reply) => this.settle(reply));
    child.on('error', (err) => {
      const e = this.toError(`keychain helper failed: ${err.message}`);
      this.abandon(child, () => e);
    });
    child.on('exit', (code, signal) => {
      const e = this.toError(`keychain helper exited (${signal ?? `code ${code}`})`);
      this.abandon(child, () => e);
    });
    this.child = child;
    return child;
  }

  private settle(reply: HostReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(this.toError(reply.error));
    this.unrefIfIdle(p.child);
  }

  /** Kills `child` and rejects everything it had in flight (everything waits behind a stuck call). */
  private abandon(child: HelperProcess, errorFor: (op: HostRequest['op']) => KeychainError): void {
    if (this.child === child) this.child = null;
    for (const [id, p] of this.pending) {
      if (p.child !== child) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(errorFor(p.op));
    }
    child.kill();
  }

  private unrefIfIdle(child: HelperProcess): void {
    for (const p of this.pending.values()) if (p.child === child) return;
    child.unref();
  }

  private timeoutError(op: HostRequest['op']): KeychainError {
    // A write already queued in the Secret Service may still be applied once it wakes up.
    const detail = `no answer after ${this.timeoutMs} ms${op === 'set' || op === 'delete' ? '; the change may still be applied later' : ''}`;
    return keychainError('timeout', detail, { platform: this.platform, timeoutMs: this.timeoutMs });
  }

  private toError(raw: string): KeychainError {
    const kind = /Cannot find module|ERR_MODULE_NOT_FOUND|ENOENT/.test(raw) ? 'unavailable' : classifyKeychainMessage(raw);
    return keychainError(kind, raw, { platform: this.platform, timeoutMs: this.timeoutMs });
  }
}
