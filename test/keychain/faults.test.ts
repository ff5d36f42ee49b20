/**
 * The keychain when it is not there, locked, or never answers. Each case runs in its own private
 * D-Bus session (helpers.ts), so it needs dbus-daemon and gnome-keyring-daemon but not the
 * with-keyring.sh session. Every failure must be a KeychainError of the right kind, with the
 * remedy, within the time limit, and must leave nothing behind (no helper process, no profile,
 * no secret anywhere on disk).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { KeychainError, KeytarSecretStore } from '../../main/core/secrets/index.ts';
import { ProfileService } from '../../main/core/profiles/index.ts';
import { openStateDb } from '../../main/core/state/index.ts';
import { describeIf, envWithoutSession, killStrayClis, runCli, startIsolatedKeyring, toolsGate, type IsolatedKeyring } from './helpers.ts';
import { scanForSecret } from './secret-scan.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  killStrayClis();
  while (cleanups.length) await cleanups.pop()!();
});
const keyring = (opts: Parameters<typeof startIsolatedKeyring>[0]): IsolatedKeyring => {
  const kr = startIsolatedKeyring(opts);
  cleanups.push(kr.close);
  return kr;
};
const store = (env: NodeJS.ProcessEnv, timeoutMs = 1500) => {
  const s = new KeytarSecretStore({ env, timeoutMs, platform: 'linux' });
  cleanups.push(() => s.close());
  return s;
};
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-kc-faults-'));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};

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

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describeIf(toolsGate(), 'keychain unavailable', () => {
  it('no session bus and no DISPLAY: unavailable, fast, with the Linux remedy', async () => {
    const s = store(envWithoutSession(), 10_000);
    for (const call of [() => s.probe(), () => s.set(randomUUID(), 'a-secret-value-1'), () => s.get(randomUUID()), () => s.delete(randomUUID())]) {
      const e = await failure(call());
      expect(e.kind).toBe('unavailable');
      expect(e.message).toMatch(/Cannot autolaunch D-Bus without X11 \$DISPLAY/);
      expect(e.remedy).toMatch(/apt install gnome-keyring libsecret-1-0/);
      expect(e.remedy).toMatch(/dbus-run-session/);
      expect(e.code).toBe('keychain');
      expect(e.userMessage).toBe(`${e.message} ${e.remedy}`);
      expect(e.ms).toBeLessThan(5000); // an answer, not the 10 s time limit
    }
  });

  it('a bus address that points nowhere: unavailable', async () => {
    const e = await failure(store(envWithoutSession({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${os.tmpdir()}/archivist-no-bus-${randomUUID()}` })).probe());
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(/Could not connect/);
  });

  it('a bus without any Secret Service: unavailable', async () => {
    const kr = keyring({ secretService: false });
    const e = await failure(store(kr.env).set(randomUUID(), 'a-secret-value-1'));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(/org\.freedesktop\.secrets/);
  });

  it('remedies are written for each OS', async () => {
    const { keychainRemedy } = await import('../../main/core/secrets/index.ts');
    expect(keychainRemedy('unavailable', 'darwin')).toMatch(/Keychain Access/);
    expect(keychainRemedy('locked', 'darwin')).toMatch(/Unlock Keychain/);
    expect(keychainRemedy('unavailable', 'win32')).toMatch(/Credential Manager/);
    expect(keychainRemedy('locked', 'linux')).toMatch(/Seahorse|KWallet/);
    expect(keychainRemedy('timeout', 'linux', 1500)).toMatch(/1\.5 s/);
  });
});

describeIf(toolsGate(), 'keychain locked', () => {
  it('writing to a locked keyring: locked, with the unlock remedy', async () => {
    const kr = keyring({ locked: true });
    const s = store(kr.env);
    for (const call of [() => s.set(randomUUID(), 'a-secret-value-1'), () => s.probe()]) {
      const e = await failure(call());
      expect(e.kind).toBe('locked');
      expect(e.remedy).toMatch(/Unlock your login keyring/);
    }
  });

  it('profiles see through the silent "nothing" a locked keyring gives on read and delete', async () => {
    const kr = keyring({});
    const dir = tempDir();
    const db = openStateDb(dir);
    cleanups.push(() => db.close());
    const service = new ProfileService({ db, secrets: store(kr.env) });
    const secret = `locked-${randomUUID()}`;
    const p = await service.add({ name: 'Acme', api_key: 'k', secret });
    kr.lock();
    // The trap: libsecret answers a read of a locked item with "no such secret".
    expect(await store(kr.env).get(p.id)).toBeNull();
    expect((await failure(service.credentials('Acme'))).kind).toBe('locked');
    expect(await service.test('Acme')).toMatchObject({ outcome: 'keychain', message: expect.stringMatching(/locked.*Unlock your login keyring/) });
    // Removing must not silently orphan the item: refused until unlocked, or forced.
    expect((await failure(service.remove('Acme'))).kind).toBe('locked');
    expect(service.list()).toHaveLength(1);
    expect(await service.remove('Acme', { force: true })).toMatchObject({ secretLeft: true });
    expect(service.list()).toHaveLength(0);
  });
});

describeIf(toolsGate(), 'keychain that never answers', () => {
  it('an unlock prompt nobody answers: timeout within the limit, helper killed, no hang', async () => {
    const kr = keyring({ prompt: 'never-answers' });
    const s = store(kr.env, 1500);
    const account = randomUUID();
    await s.set(account, 'prompt-secret-value-1');
    kr.lock();
    const pending = s.get(account);
    const pid = s.helperPid!;
    const e = await failure(pending);
    expect(e.kind).toBe('timeout');
    expect(e.ms).toBeGreaterThanOrEqual(1400);
    expect(e.ms).toBeLessThan(4000);
    expect(e.remedy).toMatch(/did not answer within 1\.5 s/);
    expect(await gone(pid)).toBe(true);
    // Writes wait on the same prompt.
    expect((await failure(s.set(randomUUID(), 'prompt-secret-value-2'))).kind).toBe('timeout');
  });

  it('a frozen Secret Service (SIGSTOP): timeout; it works again once it is back', async () => {
    const kr = keyring({});
    const s = store(kr.env, 1500);
    const [account, other] = [randomUUID(), randomUUID()];
    await s.set(account, 'frozen-secret-value-1');
    process.kill(kr.daemonPid!, 'SIGSTOP');
    try {
      // Two calls in flight on the frozen service: both time out together.
      const calls = [failure(s.get(account)), failure(s.set(other, 'frozen-secret-value-2'))];
      const pid = s.helperPid!;
      const errors = await Promise.all(calls);
      for (const e of errors) expect(e.kind).toBe('timeout');
      expect(errors[1].message).toMatch(/may still be applied later/);
      expect(await gone(pid)).toBe(true);
    } finally {
      process.kill(kr.daemonPid!, 'SIGCONT');
    }
    expect(await s.get(account)).toBe('frozen-secret-value-1'); // a fresh helper
    // The trap behind "may still be applied": the write that timed out was already queued in the
    // daemon and lands once it runs again.
    let late: string | null = null;
    for (let i = 0; i < 20 && late === null; i++) {
      late = await s.get(other);
      if (late === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(late).toBe('frozen-secret-value-2');
  });
});

describeIf(toolsGate(), 'the CLI when the keychain fails', () => {
  it('no bus: `profile add` fails fast with the remedy and creates nothing (no plaintext fallback)', async () => {
    const dir = tempDir();
    const secret = `cli-nobus-${randomUUID()}`;
    const env = envWithoutSession({ ARCHIVIST_DATA_DIR: dir, ARCHIVIST_KEYCHAIN_TIMEOUT_MS: '30000' });
    const r = await runCli(['profile', 'add', '--name', 'Acme', '--api-key', 'k', '--secret-stdin'], { env, input: secret });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/keychain is not available/);
    expect(r.stderr).toMatch(/apt install gnome-keyring libsecret-1-0/);
    expect(r.ms).toBeLessThan(15_000);
    const list = await runCli(['profile', 'list', '--json'], { env });
    expect(JSON.parse(list.stdout)).toEqual({ profiles: [] });
    expect(scanForSecret(secret, { dirs: [dir], texts: { stdout: r.stdout, stderr: r.stderr, list: list.stdout } })).toEqual([]);
  }, 60_000);

  it('a keychain that never answers: the CLI reports the timeout and exits, it does not hang', async () => {
    const kr = keyring({ locked: true, prompt: 'never-answers' });
    const dir = tempDir();
    const env = { ...kr.env, ARCHIVIST_DATA_DIR: dir, ARCHIVIST_KEYCHAIN_TIMEOUT_MS: '1500' };
    const r = await runCli(['profile', 'add', '--name', 'Acme', '--api-key', 'k', '--secret-stdin'], { env, input: `cli-hang-${randomUUID()}`, killAfterMs: 20_000 });
    expect(r.signal).toBeNull(); // exited by itself
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not answer in time/);
    expect(r.stderr).toMatch(/within 1\.5 s/);
    // 1.5 s of waiting plus CLI start-up (slow on a loaded machine); a hang would hit the 20 s kill.
    expect(r.ms).toBeLessThan(12_000);
  }, 60_000);
});
