/**
 * How KeytarSecretStore starts its keychain helper (./keytar-host.cts), and what they say to each
 * other. The store only needs "a child process it can message and kill"; how that process is
 * started depends on the host:
 * - Node (CLI, browser mode, tests): `child_process.fork` (forkLauncher, the default);
 * - Electron: `utilityProcess.fork` (main/electron/keychain.ts). Relaunching the app binary as
 *   Node (ELECTRON_RUN_AS_NODE, which child_process.fork relies on under Electron) is disabled in
 *   the packaged app by the runAsNode fuse.
 * main/core never imports electron, so the Electron launcher is passed in from main/electron.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Request to the helper. Secrets travel only in these messages, never in argv or the environment. */
export interface HostRequest {
  id: number;
  op: 'set' | 'get' | 'delete' | 'probe';
  service: string;
  account?: string;
  secret?: string;
}
export type HostReply = { id: number; ok: true; value: string | boolean | null } | { id: number; ok: false; error: string };

/** A running helper, as KeytarSecretStore uses it. */
export interface HelperProcess {
  /** OS process id once started (undefined before, and may be after it exited). */
  readonly pid: number | undefined;
  /** Sends one request; `onError` is called if it cannot be delivered. */
  send(req: HostRequest, onError: (err: Error) => void): void;
  /** A reply from the helper. */
  on(event: 'message', listener: (reply: HostReply) => void): void;
  /** The helper could not be started or talked to. */
  on(event: 'error', listener: (err: Error) => void): void;
  /** The helper is gone (exit code, or the signal that ended it). */
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): void;
  /** Ends the helper now, even while a native call in it never returns. */
  kill(): void;
  /** Keep the parent process alive while calls are in flight (ref) or not (unref, when idle). */
  ref(): void;
  unref(): void;
}

/** Starts the helper script `modulePath` with environment `env`. */
export type HelperLauncher = (modulePath: string, env: NodeJS.ProcessEnv) => HelperProcess;

/**
 * The helper script. CommonJS (`.cts`, run by Node's type stripping; `.cjs` once built into dist/)
 * so that it loads the same way everywhere, including from app.asar.unpacked in the packaged app,
 * where no package.json says "type": "module".
 */
export const KEYTAR_HOST_PATH = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './keytar-host.cts' : './keytar-host.cjs', import.meta.url));

/** The Node launcher: `child_process.fork`, JSON over the IPC channel. */
export const forkLauncher: HelperLauncher = (modulePath, env) => {
  // Under Electron, process.execPath is the app binary: make it behave as plain Node (works only
  // where the runAsNode fuse is on; the Electron main passes its own launcher instead).
  const childEnv = process.versions.electron ? { ...env, ELECTRON_RUN_AS_NODE: '1' } : env;
  const child = fork(modulePath, [], {
    execArgv: [],
    env: childEnv,
    // The helper never prints; libsecret/GLib warnings must not reach a CLI's stderr.
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'json',
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (req, onError) => {
      child.send(req, (err) => {
        if (err) onError(err);
      });
    },
    // The ChildProcess events have exactly the shapes HelperProcess promises.
    on: (event: 'message' | 'error' | 'exit', listener: (...args: any[]) => void) => {
      child.on(event, listener);
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    ref: () => {
      child.ref();
      child.channel?.ref();
    },
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
  };
};
