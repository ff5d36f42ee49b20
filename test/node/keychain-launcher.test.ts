/**
 * The keychain helper's launcher is injectable (Node: child_process.fork; Electron: utilityProcess,
 * which cannot run here). These tests prove that KeytarSecretStore starts and talks to its helper
 * only through the launcher, and keeps every behaviour through it: time limit, kill on timeout,
 * a fresh helper afterwards, error kinds and remedies. Then the Electron launcher itself runs the
 * real helper, with only `utilityProcess.fork` replaced by a Node stand-in. The real keychain
 * behind the default launcher is covered by test/keychain.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForkOptions, UtilityProcess } from 'electron';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KEYTAR_HOST_PATH,
  KeychainError,
  KeytarSecretStore,
  type HelperLauncher,
  type HelperProcess,
  type HostReply,
  type HostRequest,
} from '../../main/core/secrets/index.ts';
import { unpackedPath, utilityProcessLauncher, type UtilityFork } from '../../main/electron/keychain.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A helper that answers through `answer` (null: never answers), recording what the store does to it. */
class FakeHelper implements HelperProcess {
  pid: number | undefined;
  requests: HostRequest[] = [];
  kills = 0;
  held = false;
  exited = false;
  sendError: Error | null = null;
  private events = new EventEmitter();
  private answer: (req: HostRequest) => HostReply | null;

  constructor(pid: number, answer: (req: HostRequest) => HostReply | null) {
    this.pid = pid;
    this.answer = answer;
  }
  send(req: HostRequest, onError: (err: Error) => void): void {
    this.requests.push(req);
    if (this.sendError) return void setImmediate(() => onError(this.sendError!));
    const reply = this.answer(req);
    if (reply) setImmediate(() => this.events.emit('message', reply));
  }
  on(event: string, listener: (...args: any[]) => void): void {
    this.events.on(event, listener);
  }
  kill(): void {
    if (this.exited) return;
    this.kills++;
    this.exit(null, 'SIGKILL');
  }
  ref(): void {
    this.held = true;
  }
  unref(): void {
    this.held = false;
  }
  /** The process ends (as the OS would report it, asynchronously). */
  exit(code: number | null, signal: string | null = null): void {
    this.exited = true;
    this.pid = undefined;
    setImmediate(() => this.events.emit('exit', code, signal));
  }
}

/** A launcher handing out FakeHelpers; `answers[i]` is how the i-th helper answers (the last one repeats). */
function fakeLauncher(...answers: Array<(req: HostRequest) => HostReply | null>) {
  const launches: { modulePath: string; env: NodeJS.ProcessEnv; helper: FakeHelper }[] = [];
  const launcher: HelperLauncher = (modulePath, env) => {
    const helper = new FakeHelper(40_000 + launches.length, answers[Math.min(launches.length, answers.length - 1)]);
    launches.push({ modulePath, env, helper });
    return helper;
  };
  return { launcher, launches };
}

const keychain = (values: Record<string, string> = {}) => (req: HostRequest): HostReply => {
  switch (req.op) {
    case 'set':
      values[req.account!] = req.secret!;
      return { id: req.id, ok: true, value: null };
    case 'get':
      return { id: req.id, ok: true, value: values[req.account!] ?? null };
    case 'delete':
      return { id: req.id, ok: true, value: delete values[req.account!] };
    case 'probe':
      return { id: req.id, ok: true, value: true };
  }
};
const silent = () => null;

function store(launcher: HelperLauncher, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  const s = new KeytarSecretStore({ launcher, platform: 'linux', timeoutMs: opts.timeoutMs ?? 5000, env: opts.env ?? { ARCHIVIST_TEST: 'yes' } });
  cleanups.push(() => s.close());
  return s;
}

async function failure(p: Promise<unknown>): Promise<KeychainError & { ms: number }> {
  const t = Date.now();
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(KeychainError);
    return Object.assign(err as KeychainError, { ms: Date.now() - t });
  }
  throw new Error('expected a KeychainError');
}

describe('KeytarSecretStore through an injected launcher', () => {
  it('starts the helper script through the launcher, once, and talks to it only through it', async () => {
    const { launcher, launches } = fakeLauncher(keychain());
    const env = { ARCHIVIST_TEST: 'yes' };
    const s = store(launcher, { env });
    expect(launches).toHaveLength(0); // started lazily

    const pending = s.set('acct-1', 'a-secret-value');
    expect(launches[0].helper.held).toBe(true); // a call in flight keeps the parent alive
    await pending;
    expect(launches[0].helper.held).toBe(false); // idle: it does not
    expect(await s.get('acct-1')).toBe('a-secret-value');
    expect(await s.delete('acct-1')).toBe(true);
    expect(await s.get('acct-1')).toBeNull();
    await s.probe();

    expect(launches).toHaveLength(1);
    const [{ modulePath, env: given, helper }] = launches;
    expect(modulePath).toBe(KEYTAR_HOST_PATH);
    expect(fs.existsSync(modulePath)).toBe(true);
    expect(given).toEqual(env);
    expect(given).not.toBe(env); // a copy: launchers may add to it
    expect(s.helperPid).toBe(helper.pid);
    expect(helper.requests.map((r) => [r.op, r.service, r.account, r.secret])).toEqual([
      ['set', 'Archivist', 'acct-1', 'a-secret-value'],
      ['get', 'Archivist', 'acct-1', undefined],
      ['delete', 'Archivist', 'acct-1', undefined],
      ['get', 'Archivist', 'acct-1', undefined],
      ['probe', 'Archivist', '__archivist_probe__', undefined],
    ]);
    expect(helper.kills).toBe(0);
  });

  it('a helper that never answers: timeout within the limit, helper killed, a fresh one next time', async () => {
    const { launcher, launches } = fakeLauncher(silent, keychain({ 'acct-1': 'kept' }));
    const s = store(launcher, { timeoutMs: 300 });
    // Two calls in flight on the stuck helper: both time out together.
    const errors = await Promise.all([failure(s.get('acct-1')), failure(s.set('acct-2', 'a-secret-value'))]);
    for (const e of errors) {
      expect(e.kind).toBe('timeout');
      expect(e.code).toBe('keychain');
      expect(e.remedy).toMatch(/did not answer within 0\.3 s/);
      expect(e.userMessage).toBe(`${e.message} ${e.remedy}`);
      expect(e.ms).toBeGreaterThanOrEqual(250);
      expect(e.ms).toBeLessThan(2000);
    }
    expect(errors[0].message).toBe('The system keychain did not answer in time. (no answer after 300 ms)');
    expect(errors[1].message).toMatch(/may still be applied later/);
    expect(launches[0].helper.kills).toBe(1);
    expect(s.helperPid).toBeUndefined();

    expect(await s.get('acct-1')).toBe('kept');
    expect(launches).toHaveLength(2);
    expect(launches[1].helper.kills).toBe(0);
  });

  it('what the helper reports, and a helper that fails, become KeychainErrors of the right kind', async () => {
    const locked = (req: HostRequest): HostReply => ({ id: req.id, ok: false, error: 'Cannot create an item in a locked collection' });
    const a = fakeLauncher(locked);
    const e1 = await failure(store(a.launcher).set('acct-1', 'a-secret-value'));
    expect(e1.kind).toBe('locked');
    expect(e1.remedy).toMatch(/Unlock your login keyring/);
    expect(a.launches[0].helper.kills).toBe(0); // an answer is not a reason to kill it

    // The helper dies mid-call: the call fails at once (not at the time limit), the next gets a new helper.
    const b = fakeLauncher(silent, keychain());
    const s = store(b.launcher, { timeoutMs: 10_000 });
    const dying = failure(s.get('acct-1'));
    b.launches[0].helper.exit(1);
    const e2 = await dying;
    expect(e2.kind).toBe('unknown');
    expect(e2.message).toMatch(/keychain helper exited \(code 1\)/);
    expect(e2.ms).toBeLessThan(2000);
    expect(await s.get('acct-1')).toBeNull();
    expect(b.launches).toHaveLength(2);

    // A request that cannot be delivered: the helper is abandoned and killed.
    const c = fakeLauncher(keychain());
    const s3 = store(c.launcher);
    await s3.probe();
    c.launches[0].helper.sendError = new Error('channel closed');
    const e3 = await failure(s3.get('acct-1'));
    expect(e3.message).toMatch(/cannot talk to the keychain helper: channel closed/);
    expect(c.launches[0].helper.kills).toBe(1);

    // The launcher cannot start the helper at all.
    const e4 = await failure(
      store(() => {
        throw new Error("Cannot find module '/nowhere/keytar-host.cjs'");
      }).probe(),
    );
    expect(e4.kind).toBe('unavailable');
    expect(e4.remedy).toMatch(/Secret Service/);
  });

  it('close() kills the helper and rejects what it had in flight', async () => {
    const { launcher, launches } = fakeLauncher(silent);
    const s = store(launcher, { timeoutMs: 10_000 });
    const pending = failure(s.get('acct-1'));
    await s.close();
    const e = await pending;
    expect(e.message).toMatch(/closed/);
    expect(launches[0].helper.kills).toBe(1);
    await s.close(); // twice is fine
  });
});

// ---- The Electron launcher, with utilityProcess.fork replaced by a Node stand-in ----

const PARENT_PORT_SHIM = path.join(ROOT, 'test/node/fixtures/utility-parent-port.cjs');

/**
 * Stand-in for Electron's `utilityProcess.fork`: a Node child with `process.parentPort`
 * (fixtures/utility-parent-port.cjs) and the UtilityProcess surface the launcher uses
 * (pid after spawn, postMessage, kill, 'message' and 'exit' with an exit code).
 */
class UtilityProcessStandIn extends EventEmitter {
  pid: number | undefined;
  killed = 0;
  readonly child: ChildProcess;
  constructor(modulePath: string, options: ForkOptions) {
    super();
    this.child = fork(modulePath, [], {
      env: options.env as NodeJS.ProcessEnv,
      execArgv: ['--require', PARENT_PORT_SHIM],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.child.on('spawn', () => {
      this.pid = this.child.pid;
      this.emit('spawn');
    });
    this.child.on('message', (m) => this.emit('message', m));
    this.child.on('exit', (code) => {
      this.pid = undefined;
      this.emit('exit', code ?? 1);
    });
  }
  postMessage(message: unknown): void {
    this.child.send(message as object);
  }
  kill(): boolean {
    this.killed++;
    return this.child.kill('SIGTERM');
  }
}

describe('the Electron keychain launcher (utilityProcess)', () => {
  it('maps a path inside app.asar to the unpacked copy', () => {
    expect(unpackedPath('/opt/Archivist/resources/app.asar/dist/main/core/secrets/keytar-host.cjs')).toBe(
      '/opt/Archivist/resources/app.asar.unpacked/dist/main/core/secrets/keytar-host.cjs',
    );
    expect(unpackedPath('C:\\Program Files\\Archivist\\resources\\app.asar\\dist\\x.cjs')).toBe('C:\\Program Files\\Archivist\\resources\\app.asar.unpacked\\dist\\x.cjs');
    expect(unpackedPath('/Applications/Archivist.app/Contents/Resources/app.asar.unpacked/x.cjs')).toBe(
      '/Applications/Archivist.app/Contents/Resources/app.asar.unpacked/x.cjs',
    );
    expect(unpackedPath('/work/main/dist/main/core/secrets/keytar-host.cjs')).toBe('/work/main/dist/main/core/secrets/keytar-host.cjs');
  });

  it('runs the real helper from app.asar.unpacked over a parent port, and kills it', async () => {
    // The packaged layout: resources/app.asar (not readable without Electron) and beside it
    // app.asar.unpacked holding the helper and keytar (electron-builder.yml asarUnpack).
    const resources = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-resources-'));
    cleanups.push(() => fs.rmSync(resources, { recursive: true, force: true }));
    const unpacked = path.join(resources, 'app.asar.unpacked');
    fs.mkdirSync(path.join(unpacked, 'dist/main/core/secrets'), { recursive: true });
    fs.mkdirSync(path.join(unpacked, 'node_modules'));
    fs.copyFileSync(KEYTAR_HOST_PATH, path.join(unpacked, 'dist/main/core/secrets', path.basename(KEYTAR_HOST_PATH)));
    fs.symlinkSync(path.join(ROOT, 'node_modules/keytar'), path.join(unpacked, 'node_modules/keytar'), 'dir');

    const forks: { modulePath: string; options: ForkOptions; process: UtilityProcessStandIn }[] = [];
    const utilityFork: UtilityFork = (modulePath, _args, options) => {
      const p = new UtilityProcessStandIn(modulePath, options);
      forks.push({ modulePath, options, process: p });
      return p as unknown as UtilityProcess;
    };
    const electron = utilityProcessLauncher(utilityFork);
    // The store hands over the helper's path as Electron sees it: inside app.asar.
    const launcher: HelperLauncher = (modulePath, env) => electron(path.join(resources, 'app.asar/dist/main/core/secrets', path.basename(modulePath)), env);

    // No session bus and no display: the real keytar answers "unavailable" at once, which proves
    // the request went in and the answer came back over the parent port.
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const s = store(launcher, { env, timeoutMs: 5000 });
    const e = await failure(s.probe());
    expect(e.kind).toBe('unavailable');
    expect(e.message).not.toMatch(/exited|did not answer/);
    expect(e.remedy).toMatch(/gnome-keyring/);

    expect(forks).toHaveLength(1);
    expect(forks[0].modulePath).toBe(path.join(unpacked, 'dist/main/core/secrets', path.basename(KEYTAR_HOST_PATH)));
    expect(forks[0].options).toMatchObject({ stdio: 'ignore', env: { ...env } });
    const pid = s.helperPid!;
    expect(pid).toBeGreaterThan(0);

    const exited = new Promise((resolve) => forks[0].process.once('exit', resolve));
    await s.close();
    expect(forks[0].process.killed).toBe(1);
    await exited;
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
