/**
 * The app core wired to real profiles (main/core/app/wire.ts): ProfileService over state.db with
 * a secret store, jobs and browsing resolving credentials per profile, the persisted sandbox
 * workspace profile. The keychain itself is exercised in test/keychain/ (this uses the in-memory
 * store, so it runs everywhere); the same flows against a real Secret Service run in
 * test/keychain/app-secret-scan.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppCore, type AppCore } from '../../main/core/app/index.ts';
import { ProfileService } from '../../main/core/profiles/index.ts';
import { MemorySecretStore } from '../../main/core/secrets/index.ts';
import { openStateDb } from '../../main/core/state/index.ts';
import { startSandbox, type Sandbox } from '../../main/sandbox/server/index.ts';
import type { CollectionView, OperationName, ProfileView } from '../../preload/contract.ts';

const FAST = { pollInitialMs: 30, pollMaxMs: 150, tickMs: 50, progressIntervalMs: 50, retryBaseMs: 20 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('app core with real profiles', () => {
  let stream: Sandbox; // stands in for a Stream app reached with a stored secret
  let dir: string;
  let core: AppCore;
  const secrets = new MemorySecretStore();
  const bodies: string[] = [];

  const open = () =>
    createAppCore({ dataDir: dir, host: 'browser', secretStore: secrets, jobLimits: FAST, sandboxLatency: { pendingMs: 20, runningMs: 20 }, log: () => {} });

  async function call<T = unknown>(op: OperationName, input: unknown = {}): Promise<T> {
    const out = await core.invoke(op, input as never);
    bodies.push(JSON.stringify(out));
    if (!out.ok) throw Object.assign(new Error(out.error.message), { code: out.error.code });
    return out.value as T;
  }
  const fails = async (op: OperationName, input: unknown) => {
    const out = await core.invoke(op, input as never);
    bodies.push(JSON.stringify(out));
    expect(out.ok, `${op} should fail`).toBe(false);
    return (out as { error: { code: string; message: string } }).error;
  };
  async function finished(id: string): Promise<CollectionView> {
    for (let i = 0; i < 400; i++) {
      const c = (await call<CollectionView[]>('collections.list', {})).find((x) => x.id === id)!;
      if (!['resolving', 'running'].includes(c.state)) return c;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('collection did not finish');
  }

  beforeAll(async () => {
    stream = await startSandbox({ seed: 5, messages: 400, latency: { pendingMs: 20, runningMs: 20, perThousandMessagesMs: 0 } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-app-profiles-'));
    core = await open();
  });
  afterAll(async () => {
    await core?.close();
    await stream?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds a Stream profile (secret only in the store), tests it, browses and collects with it', async () => {
    const p = await call<ProfileView>('profiles.add', { name: 'Acme', api_key: stream.apiKey, base_url: stream.baseURL, secret: stream.apiSecret });
    expect(p).toMatchObject({ name: 'Acme', sandbox: false, has_secret: true });
    expect(p.id).toMatch(UUID);
    expect(await secrets.get(p.id)).toBe(stream.apiSecret);
    expect(await call('profiles.test', { id: p.id })).toMatchObject({ outcome: 'ok' });
    expect((await call<ProfileView[]>('profiles.list'))[0].last_connected_at).not.toBeNull();

    const page = await call<{ channels: { cid: string }[] }>('stream.channels', { profile_id: p.id, limit: 5 });
    expect(page.channels).toHaveLength(5);
    const users = await call<{ users: unknown[] }>('stream.users', { profile_id: p.id, limit: 3 });
    expect(users.users).toHaveLength(3);

    const cids = stream.dataset.channels.filter((c) => !c.deleted_at).slice(0, 3).map((c) => c.cid);
    const col = await call<CollectionView>('collections.create', { kind: 'channels', profile_id: p.id, channels: { cids } });
    const done = await finished(col.id);
    expect(done.state, JSON.stringify(done)).toBe('complete');
    expect((await call<{ messages: number }>('archive.stats')).messages).toBeGreaterThan(0);
  });

  it('uses a rotated secret at once, for browsing and for jobs, also when another process rotated it', async () => {
    const [p] = await call<ProfileView[]>('profiles.list');
    await call('profiles.rotate', { id: p.id, secret: 'not-the-right-secret-0123456789' });
    expect(await call('profiles.test', { id: p.id })).toMatchObject({ outcome: 'wrong_secret' });
    expect(await fails('stream.channels', { profile_id: p.id })).toMatchObject({ code: 'connection', message: expect.stringMatching(/secret/) });
    const cid = stream.dataset.channels.filter((c) => !c.deleted_at)[4].cid;
    const bad = await finished((await call<CollectionView>('collections.create', { kind: 'channels', profile_id: p.id, channels: { cids: [cid] } })).id);
    expect(bad.state).not.toBe('complete');

    // `archivist profile rotate` in another process: a second connection to state.db, same keychain.
    const db = openStateDb(dir);
    await new ProfileService({ db, secrets }).rotateSecret(p.id, stream.apiSecret);
    db.close();
    expect((await call<{ channels: unknown[] }>('stream.channels', { profile_id: p.id, limit: 2 })).channels).toHaveLength(2);
    await call('jobs.retry', { id: bad.id });
    expect((await finished(bad.id)).state).toBe('complete');
  });

  it('keeps the sandbox workspace as a persisted sandbox profile without a keychain item', async () => {
    const before = secrets.size;
    const status = await call<{ profile_id: string; base_url: string }>('workspace.startSandbox', { messages: 200 });
    expect(status.profile_id).toMatch(UUID);
    const sbx = (await call<ProfileView[]>('profiles.list')).find((p) => p.id === status.profile_id)!;
    expect(sbx).toMatchObject({ name: 'Sandbox workspace', sandbox: true, has_secret: false, base_url: status.base_url });
    expect(secrets.size).toBe(before);
    expect(await call('profiles.test', { id: sbx.id })).toMatchObject({ outcome: 'ok' });
    expect((await call<{ channels: unknown[] }>('stream.channels', { profile_id: sbx.id, limit: 3 })).channels).toHaveLength(3);
    // Started twice: the same one.
    expect((await call<{ profile_id: string }>('workspace.startSandbox', {})).profile_id).toBe(sbx.id);

    // Restart: the profile stays; its sandbox is not running until started again, on a new port.
    await core.close();
    core = await open();
    const listed = await call<ProfileView[]>('profiles.list');
    expect(listed.map((p) => p.name).sort()).toEqual(['Acme', 'Sandbox workspace']);
    expect(await fails('stream.channels', { profile_id: sbx.id })).toMatchObject({ code: 'unavailable' });
    const again = await call<{ profile_id: string; base_url: string }>('workspace.startSandbox', { messages: 200 });
    expect(again.profile_id).toBe(sbx.id);
    expect((await call<ProfileView[]>('profiles.list')).find((p) => p.id === sbx.id)!.base_url).toBe(again.base_url);
    const cid = (await call<{ channels: { cid: string }[] }>('stream.channels', { profile_id: sbx.id, limit: 1 })).channels[0].cid;
    const col = await call<CollectionView>('collections.create', { kind: 'channels', profile_id: sbx.id, channels: { cids: [cid] } });
    expect((await finished(col.id)).state).toBe('complete');
  });

  it('removes a profile with its secret; unknown profiles are not_found', async () => {
    const acme = (await call<ProfileView[]>('profiles.list')).find((p) => p.name === 'Acme')!;
    await call('profiles.remove', { id: acme.id });
    expect(await secrets.get(acme.id)).toBeNull();
    expect(await fails('stream.channels', { profile_id: acme.id })).toMatchObject({ code: 'not_found' });
    expect(await fails('profiles.test', { id: acme.id })).toMatchObject({ code: 'not_found' });
  });

  it('never answers with the secret', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const b of bodies) expect(b).not.toContain(stream.apiSecret);
  });
});
