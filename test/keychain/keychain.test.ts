/**
 * The OS keychain for real: keytar against the Secret Service (gnome-keyring) of the session that
 * scripts/with-keyring.sh provides. Fails in CI when there is none; skips loudly elsewhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { KeytarSecretStore } from '../../main/core/secrets/index.ts';
import { ProfileService } from '../../main/core/profiles/index.ts';
import { openStateDb } from '../../main/core/state/index.ts';
import { describeIf, NODE, ROOT, sessionKeychain } from './helpers.ts';
import { scanForSecret } from './secret-scan.ts';

const gate = await sessionKeychain();
const stores: KeytarSecretStore[] = [];
const newStore = () => {
  const s = new KeytarSecretStore();
  stores.push(s);
  return s;
};
afterAll(async () => {
  for (const s of stores) await s.close();
});

describeIf(gate, 'KeytarSecretStore against the Secret Service', () => {
  it('stores, reads back (from a fresh helper), replaces and deletes a secret', async () => {
    const account = randomUUID();
    const a = newStore();
    await a.set(account, 'first-secret-value-0001');
    expect(await a.get(account)).toBe('first-secret-value-0001');
    const b = newStore(); // another helper process: the value lives in the keyring, not in ours
    expect(await b.get(account)).toBe('first-secret-value-0001');
    await b.set(account, 'second-secret-value-0002');
    expect(await a.get(account)).toBe('second-secret-value-0002');
    expect(await a.delete(account)).toBe(true);
    expect(await b.get(account)).toBeNull();
    expect(await b.delete(account)).toBe(false);
  });

  it('keeps accounts apart and round-trips unusual secrets', async () => {
    const s = newStore();
    const values = ['ünïcødé-秘密-🔑-0123456789', 'x'.repeat(1024), `quote"back\\slash'semicolon;`];
    const accounts = values.map(() => randomUUID());
    await Promise.all(accounts.map((acc, i) => s.set(acc, values[i])));
    for (const [i, acc] of accounts.entries()) expect(await s.get(acc)).toBe(values[i]);
    for (const acc of accounts) await s.delete(acc);
  });

  it('probes by writing, reading and deleting a throwaway item', async () => {
    await expect(newStore().probe()).resolves.toBeUndefined();
  });

  it('gives the secret to the helper over IPC only: not in its argv or environment', async () => {
    const s = newStore();
    const account = randomUUID();
    const secret = `ipc-only-${randomUUID()}`;
    await s.set(account, secret);
    const pid = s.helperPid!;
    for (const f of ['cmdline', 'environ']) expect(scanForSecret(secret, { files: [`/proc/${pid}/${f}`] })).toEqual([]);
    await s.delete(account);
  });

  it('an idle helper does not keep the process alive, even without close()', async () => {
    const script = `import { KeytarSecretStore } from ${JSON.stringify(path.join(ROOT, 'main/core/secrets/keytar.ts'))};
      const s = new KeytarSecretStore(); await s.probe(); console.log('probed', s.helperPid);`;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(NODE, ['--input-type=module', '-e', script], { timeout: 15_000 });
    expect(stdout).toMatch(/^probed \d+/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('uses service "Archivist" with the account as given', async () => {
    const s = newStore();
    expect(s.service).toBe('Archivist');
    const other = new KeytarSecretStore({ service: 'Archivist-other' });
    stores.push(other);
    const account = randomUUID();
    await s.set(account, 'service-scoped-secret-01');
    expect(await other.get(account)).toBeNull();
    await s.delete(account);
  });
});

describeIf(gate, 'profiles with the real keychain', () => {
  let dir: string;
  let db: Database.Database;
  let service: ProfileService;
  let store: KeytarSecretStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-kc-profiles-'));
    db = openStateDb(dir);
    store = newStore();
    service = new ProfileService({ db, secrets: store });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('add puts the secret in the keychain under the profile id; rotate replaces it; remove deletes it', async () => {
    const secret = `acme-${randomUUID()}`;
    const p = await service.add({ name: 'Acme', api_key: 'acmekey', secret });
    const reader = newStore();
    expect(await reader.get(p.id)).toBe(secret);
    expect((await service.credentials('acme')).secret).toBe(secret);

    const rotated = `rotated-${randomUUID()}`;
    await service.rotateSecret(p.id, rotated);
    expect(await reader.get(p.id)).toBe(rotated);

    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(scanForSecret(secret, { dirs: [dir] })).toEqual([]);
    expect(scanForSecret(rotated, { dirs: [dir] })).toEqual([]);
    expect(scanForSecret('acmekey', { dirs: [dir] }).length).toBeGreaterThan(0); // the scan does see the DB

    await service.remove('Acme');
    expect(await reader.get(p.id)).toBeNull();
    expect(service.list()).toEqual([]);
  });

  it('a profile whose keychain item was deleted elsewhere reports it (keychain works, secret gone)', async () => {
    const p = await service.add({ name: 'Gone', api_key: 'k', secret: `gone-${randomUUID()}` });
    await newStore().delete(p.id);
    expect(await service.test('Gone')).toMatchObject({ outcome: 'keychain' });
    await expect(service.credentials('Gone')).rejects.toMatchObject({ code: 'keychain', message: expect.stringMatching(/profile rotate "Gone"/) });
    await service.remove('Gone'); // nothing left to delete: fine
    expect(service.list()).toEqual([]);
  });
});
