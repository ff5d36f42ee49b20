/**
 * Shared by the keychain tests: the CI gate (a missing Secret Service fails in CI, skips loudly
 * elsewhere), private D-Bus sessions with a gnome-keyring in a chosen state (unlocked or locked,
 * with an unlock prompt that fails or never answers, or no Secret Service), and the real CLI.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { KeytarSecretStore } from '../../main/core/secrets/index.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const NODE = process.execPath;
export const isCI = process.env.CI === 'true' || process.env.CI === '1';

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Whether this process's session has a usable Secret Service (the scripts/with-keyring.sh one). */
export async function sessionKeychain(): Promise<Gate> {
  const store = new KeytarSecretStore({ timeoutMs: 5000 });
  try {
    await store.probe();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    await store.close();
  }
}

/**
 * `describe` that runs only when `gate` is ok. When it is not: in CI a failing test (a keychain
 * suite must never pass by skipping), elsewhere a skipped suite and a loud warning.
 */
export type Gate = { ok: true } | { ok: false; reason: string; notApplicable?: boolean };

export function describeIf(gate: Gate, name: string, fn: () => void): void {
  if (gate.ok) {
    describe(name, fn);
    return;
  }
  if (gate.notApplicable) {
    // Not a missing tool but a scenario this OS does not have (D-Bus/gnome-keyring on macOS).
    console.warn(`skipped "${name}": ${gate.reason}`);
    describe.skip(name, fn);
    return;
  }
  const how = 'Run it as: scripts/with-keyring.sh npx vitest run --project keychain';
  if (isCI) {
    describe(name, () => {
      it('has what it needs (required in CI)', () => {
        throw new Error(`${gate.reason}. ${how}`);
      });
    });
    return;
  }
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPED "${name}": ${gate.reason}.\n!! ${how}\n${'!'.repeat(78)}\n`);
  describe.skip(name, fn);
}

/** What the private-session fault tests need: Linux with dbus-daemon, dbus-send and gnome-keyring. */
export const toolsGate = (): Gate => {
  if (process.platform !== 'linux') return { ok: false, reason: 'the D-Bus / gnome-keyring fault scenarios exist on Linux only', notApplicable: true };
  const missing = ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon'].filter((t) => !has(t));
  return missing.length ? { ok: false, reason: `missing ${missing.join(', ')} (apt install gnome-keyring dbus-x11 libsecret-1-dev)` } : { ok: true };
};

export interface KeyringOptions {
  /** Run a gnome-keyring on the bus (default true); false: a bus without any Secret Service. */
  secretService?: boolean;
  /** Lock the login collection once created (default false). */
  locked?: boolean;
  /**
   * What happens when gnome-keyring asks for an unlock dialog: 'fails' (no prompter on the bus,
   * like a session without a display) or 'never-answers' (a dialog that nobody ever sees).
   */
  prompt?: 'fails' | 'never-answers';
}

export interface IsolatedKeyring {
  /** Environment for a process that should use this session (no DISPLAY). */
  env: NodeJS.ProcessEnv;
  /** PID of the gnome-keyring-daemon serving org.freedesktop.secrets (null without one). */
  daemonPid: number | null;
  /** Locks the login collection (as the screen locker or a timeout would). */
  lock(): void;
  close(): void;
}

/** The environment without any session or display (base for the "no bus" cases). */
export function envWithoutSession(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.DBUS_SESSION_BUS_ADDRESS;
  return { ...env, ...extra };
}

const BUS_CONF = (dir: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${dir}/bus</listen>
  <servicedir>${dir}/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

function dbusSend(env: NodeJS.ProcessEnv, args: string[]): string {
  return execFileSync('dbus-send', ['--session', '--print-reply', ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
}

function ownerPid(env: NodeJS.ProcessEnv, name: string): number | null {
  try {
    const out = dbusSend(env, ['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetConnectionUnixProcessID', `string:${name}`]);
    const m = /uint32 (\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * A private session bus (own config: only our service files, none of the system's) with a
 * gnome-keyring in the requested state. Synchronous, for beforeAll.
 */
export function startIsolatedKeyring(opts: KeyringOptions = {}): IsolatedKeyring {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-kr-'));
  fs.mkdirSync(path.join(dir, 'run'), { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'services'));
  fs.writeFileSync(path.join(dir, 'bus.conf'), BUS_CONF(dir));
  if (opts.prompt === 'never-answers') {
    // gnome-keyring asks this name to show the unlock dialog; the "dialog" starts and never
    // answers (as a real one does when nobody sees it), so the keychain call waits.
    fs.writeFileSync(
      path.join(dir, 'services', 'org.gnome.keyring.SystemPrompter.service'),
      '[D-BUS Service]\nName=org.gnome.keyring.SystemPrompter\nExec=/bin/sleep 600\n',
    );
  }
  const base = envWithoutSession({ XDG_DATA_HOME: dir, XDG_RUNTIME_DIR: path.join(dir, 'run'), XDG_CACHE_HOME: path.join(dir, 'cache') });
  const [address, pid] = execFileSync('dbus-daemon', [`--config-file=${dir}/bus.conf`, '--fork', '--print-address=1', '--print-pid=1'], {
    env: base,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 10_000,
  })
    .trim()
    .split('\n');
  const busPid = Number(pid);
  const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address.trim() };
  let daemonPid: number | null = null;

  const lock = () => {
    dbusSend(env, ['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login']);
  };
  const close = () => {
    for (const p of [daemonPid]) {
      if (!p) continue;
      try {
        process.kill(p, 'SIGCONT');
        process.kill(p, 'SIGKILL');
      } catch {}
    }
    try {
      // dbus-daemon --fork runs in its own process group, with what it activated (the fake prompter).
      process.kill(-busPid, 'SIGKILL');
    } catch {
      try {
        process.kill(busPid, 'SIGKILL');
      } catch {}
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (opts.secretService !== false) {
      execFileSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { env, input: 'test', stdio: ['pipe', 'ignore', 'ignore'], timeout: 10_000 });
      const until = Date.now() + 10_000;
      while (!(daemonPid = ownerPid(env, 'org.freedesktop.secrets')) && Date.now() < until) execFileSync('sleep', ['0.05']);
      if (!daemonPid) throw new Error('gnome-keyring-daemon did not appear on the private bus');
      if (opts.locked) lock();
    }
  } catch (err) {
    close();
    throw err;
  }
  return { env, daemonPid, lock, close };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const liveClis = new Set<ChildProcess>();

/** Kills CLI processes still running (a timed-out test must not leave them writing into temp dirs). */
export function killStrayClis(): void {
  for (const c of liveClis) c.kill('SIGKILL');
  liveClis.clear();
}

/** Runs `node bin/archivist.js …` as a real process; killed (and reported) after `killAfterMs`. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; killAfterMs?: number } = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(ROOT, 'bin/archivist.js'), ...args], { cwd: ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    liveClis.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      liveClis.delete(child);
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}
