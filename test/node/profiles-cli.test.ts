/**
 * `archivist profile` paths that do not reach the keychain (usage, list, sandbox profiles), run
 * in-process through main(). The keychain paths run in test/keychain/ against a real Secret Service.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/main.ts';
import type { CliIO } from '../../main/cli/command.ts';
import { openStateDb } from '../../main/core/state/index.ts';
import { MemorySecretStore } from '../../main/core/secrets/index.ts';
import { ProfileService } from '../../main/core/profiles/index.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-profile-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stdin: Readable.from([stdin]), env: { ...process.env, ARCHIVIST_DATA_DIR: dir } };
  const code = await main(['profile', ...args], io);
  return { code, stdout, stderr };
}

describe('archivist profile (no keychain needed)', () => {
  it('is registered and explains itself', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/profile add --name NAME --api-key KEY \[--base-url URL\] --secret-stdin/);
    const top = await main(['--help'], { stdout: () => {}, stderr: () => {}, env: {} });
    expect(top).toBe(0);
  });

  it('refuses a secret on the command line and requires --secret-stdin', async () => {
    const onArgv = await run(['add', '--name', 'A', '--api-key', 'k', '--secret', 'shhh-this-is-secret']);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).not.toContain('shhh-this-is-secret');
    const inline = await run(['add', '--name', 'A', '--api-key', 'k', '--secret=shhh-this-is-secret']);
    expect(inline.code).toBe(2);
    expect(inline.stderr).not.toContain('shhh-this-is-secret');
    const noStdin = await run(['add', '--name', 'A', '--api-key', 'k']);
    expect(noStdin.code).toBe(2);
    expect(noStdin.stderr).toMatch(/--secret-stdin/);
    expect((await run(['rotate', 'A'])).stderr).toMatch(/--secret-stdin/);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['test'])).stderr).toMatch(/Name the profile/);
  });

  it('lists profiles as text and JSON, never with a secret', async () => {
    expect((await run(['list'])).stdout).toMatch(/No profiles yet/);
    const db = openStateDb(dir);
    const service = new ProfileService({ db, secrets: new MemorySecretStore() });
    await service.add({ name: 'Acme', api_key: 'acmekey', base_url: 'https://chat-proxy-dublin.stream-io-api.com', secret: 'acme-secret-0123456789abcdef' });
    service.ensureSandbox({ api_key: 'sbxkey', base_url: 'http://127.0.0.1:1' });
    db.close();
    const text = await run(['list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Acme .*\n\s+key acmekey {2}https:\/\/chat-proxy-dublin\.stream-io-api\.com\n\s+secret in keychain, never connected/);
    expect(text.stdout).toMatch(/Sandbox .*\n.*\n\s+sandbox \(no secret needed\)/);
    const json = await run(['list', '--json', '--data-dir', dir]);
    const doc = JSON.parse(json.stdout) as { profiles: Array<Record<string, unknown>> };
    expect(doc.profiles.map((p) => [p.name, p.kind, p.has_secret])).toEqual([
      ['Acme', 'stream', true],
      ['Sandbox', 'sandbox', false],
    ]);
    expect(json.stdout + text.stdout).not.toContain('acme-secret-0123456789abcdef');
  });

  it('set-base-url points a profile at another endpoint, keeps its secret, and refuses bad URLs', async () => {
    const db = openStateDb(dir);
    const secrets = new MemorySecretStore();
    const acme = await new ProfileService({ db, secrets }).add({ name: 'Acme', api_key: 'acmekey', secret: 'acme-secret-0123456789abcdef' });
    db.close();
    expect(acme.base_url).toBe('https://chat.stream-io-api.com');
    expect((await run(['--help'])).stdout).toMatch(/profile set-base-url NAME URL \[--json\]/);

    const text = await run(['set-base-url', 'Acme', 'https://chat-proxy-dublin.stream-io-api.com/']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe('"Acme" now connects to https://chat-proxy-dublin.stream-io-api.com.\nCheck it with: archivist profile test "Acme"\n');
    // By id too, as JSON: the whole profile, as `list --json` shows it.
    const json = await run(['set-base-url', acme.id, 'http://127.0.0.1:8090', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { profile: Record<string, unknown> };
    expect(doc.profile).toMatchObject({ id: acme.id, name: 'Acme', base_url: 'http://127.0.0.1:8090', has_secret: true });
    const listed = JSON.parse((await run(['list', '--json'])).stdout) as { profiles: Array<Record<string, unknown>> };
    expect(listed.profiles).toEqual([doc.profile]);
    expect(await secrets.get(acme.id)).toBe('acme-secret-0123456789abcdef'); // untouched
    expect(json.stdout + text.stdout).not.toContain('acme-secret-0123456789abcdef');

    for (const bad of ['not a url', 'ftp://example.com', 'https://user:pw@example.com', 'https://example.com/?q=1']) {
      const r = await run(['set-base-url', 'Acme', bad]);
      expect(r.code, bad).toBe(1);
      expect(r.stderr).toMatch(/^archivist profile: base URL /);
    }
    expect(JSON.parse((await run(['list', '--json'])).stdout).profiles[0].base_url).toBe('http://127.0.0.1:8090');
    const unknown = await run(['set-base-url', 'Nope', 'https://example.com']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/There is no profile "Nope"/);
    for (const args of [['set-base-url'], ['set-base-url', 'Acme'], ['set-base-url', 'Acme', 'https://a.example', 'extra']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/archivist profile set-base-url NAME URL/);
    }
  });

  it('gives actionable errors for unknown profiles and a sandbox that is not running', async () => {
    const missing = await run(['test', 'Nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/There is no profile "Nope".*archivist profile list/);
    const db = openStateDb(dir);
    new ProfileService({ db, secrets: new MemorySecretStore() }).ensureSandbox({ api_key: 'sbxkey', base_url: 'http://127.0.0.1:1' });
    db.close();
    const sbx = await run(['test', 'sandbox']);
    expect(sbx.code).toBe(1);
    expect(sbx.stderr).toMatch(/sandbox is not running/);
    const removed = await run(['remove', 'Sandbox', '--json']);
    expect(JSON.parse(removed.stdout)).toMatchObject({ name: 'Sandbox', secret_left_in_keychain: false });
  });
});
