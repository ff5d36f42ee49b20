/**
 * The secret-scan test, first part (issue 4): `archivist profile add/list/test/rotate/remove` as
 * real processes, with the real keychain and the sandbox Stream server, then every byte they left
 * behind (state.db with -wal/-shm, logs) and every byte they printed is scanned for each secret
 * used: zero hits. The full-export scan (jobs, evidence, archive, HTTP responses and events of
 * browser mode) is ./full-export-secret-scan.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../main/sandbox/server/index.ts';
import { KeytarSecretStore } from '../../main/core/secrets/index.ts';
import { describeIf, killStrayClis, runCli, sessionKeychain, type CliRun } from './helpers.ts';
import { scanForSecret, scannedFiles } from './secret-scan.ts';

const gate = await sessionKeychain();

describeIf(gate, 'secrets never leave the keychain (profile CLI)', () => {
  let sandbox: Sandbox;
  let dir: string;
  const store = new KeytarSecretStore();
  beforeAll(async () => {
    sandbox = await startSandbox({ messages: 50 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-secret-scan-'));
  });
  afterAll(async () => {
    killStrayClis();
    await store.close();
    await sandbox?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('add, list, test, rotate and remove print and store no secret', async () => {
    const wrong = randomBytes(32).toString('base64url');
    const wrong2 = randomBytes(32).toString('hex');
    const env = { ...process.env, ARCHIVIST_DATA_DIR: dir };
    const outputs: Array<{ name: string; text: string }> = [];
    const cli = async (args: string[], input?: string, expectCode = 0): Promise<CliRun> => {
      const r = await runCli(['profile', ...args], { env, input });
      outputs.push({ name: `${args.join(' ')} (stdout)`, text: r.stdout }, { name: `${args.join(' ')} (stderr)`, text: r.stderr });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(expectCode);
      return r;
    };
    const base = ['--api-key', sandbox.apiKey, '--base-url', sandbox.baseURL, '--secret-stdin'];

    await cli(['add', '--name', 'Acme', ...base], `${sandbox.apiSecret}\n`);
    await cli(['add', '--name', 'Typo', ...base], wrong);
    await cli(['add', '--name', 'Broken', '--api-key', 'k', '--base-url', 'https://user:pw@x.example', '--secret-stdin'], wrong2, 1);
    await cli(['list']);
    await cli(['list', '--json']);
    expect(JSON.parse((await cli(['test', 'Acme', '--json'])).stdout)).toMatchObject({ outcome: 'ok' });
    expect((await cli(['test', 'acme'])).stdout).toMatch(/^OK: Connected/);
    expect(JSON.parse((await cli(['test', 'Typo', '--json'], undefined, 1)).stdout)).toMatchObject({ outcome: 'wrong_secret' });
    await cli(['rotate', 'Typo', '--secret-stdin'], sandbox.apiSecret);
    await cli(['test', 'Typo']);
    await cli(['rotate', 'Acme', '--secret-stdin'], wrong2);
    expect((await cli(['test', 'Acme'], undefined, 1)).stdout).toMatch(/^WRONG SECRET:/);
    await cli(['rotate', 'Acme', '--secret-stdin', '--json'], sandbox.apiSecret);
    const typoId = (JSON.parse((await cli(['list', '--json'])).stdout) as { profiles: Array<{ id: string; name: string }> }).profiles.find((p) => p.name === 'Typo')!.id;
    await cli(['remove', 'Typo']);
    const final = JSON.parse((await cli(['list', '--json'])).stdout) as { profiles: Array<{ id: string; name: string; last_connected_at: string | null }> };
    expect(final.profiles.map((p) => p.name)).toEqual(['Acme']);
    expect(final.profiles[0].last_connected_at).not.toBeNull();

    // Where the secret must be: the keychain (and nowhere else).
    expect(await store.get(final.profiles[0].id)).toBe(sandbox.apiSecret);
    expect(await store.get(typoId)).toBeNull();

    const sources = { dirs: [dir], texts: outputs };
    const files = scannedFiles(sources).map((f) => path.relative(dir, f));
    expect(files).toEqual(expect.arrayContaining(['state.db', path.join('logs', 'archivist.log')]));
    // The scan is not vacuous: it finds what is meant to be there.
    expect(scanForSecret(sandbox.apiKey, sources).some((h) => h.where.endsWith('state.db') || h.where.endsWith('state.db-wal'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'logs', 'archivist.log'), 'utf8')).toMatch(/profile secret replaced/);
    for (const [label, secret] of Object.entries({ 'sandbox secret': sandbox.apiSecret, 'wrong secret': wrong, 'second wrong secret': wrong2 })) {
      const hits = scanForSecret(secret, sources);
      expect(hits, `${label} found in: ${hits.map((h) => `${h.where} [${h.form}] ${h.context}`).join(' | ')}`).toEqual([]);
    }
  }, 180_000); // 17 CLI processes at ~0.5-1.5 s of start-up each on a busy 2-core machine
});
