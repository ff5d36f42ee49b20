import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/main.ts';
import type { CliIO } from '../../main/cli/command.ts';
import { sampleConversation, tmpDir, v2Lines, writeFile } from './helpers/fixtures.ts';

const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../../bin/archivist.js');

/** Runs the CLI in-process with captured output. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: { ...env } };
  const code = await main(args, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

let dir: string;
let dataDir: string;
let good: string;
beforeAll(() => {
  dir = tmpDir();
  dataDir = path.join(dir, 'data');
  good = writeFile(dir, 'export.ndjson', v2Lines(sampleConversation().entities) + '{"type":"message","data":{"id":"cut"');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('archivist import/search/context/stats JSON contracts', () => {
  it('import --json reports files and rejected lines; exit 0 when every file was read', async () => {
    const r = await cli(['import', good, '--data-dir', dataDir, '--json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.files).toHaveLength(1);
    expect(out.files[0]).toEqual({
      path: good, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), format: 'v2', shape: 'envelope', gzip: false,
      already_imported: false, messages: 6, new_messages: 6, new_versions: 0, channels: 2, users: 3, members: 5, reactions: 2,
      attachments: 1, reads: 1, rejected: 1, took_ms: expect.any(Number),
    });
    expect(out.rejected).toEqual([{ file: good, line: 19, offset: expect.any(Number), reason: expect.stringMatching(/truncated last line/) }]);
    expect(out.refused).toEqual([]);
  });

  it('import exits non-zero when a file was refused, still importing the others', async () => {
    const html = writeFile(dir, 'expired.json', '<html><body>Request has expired</body></html>');
    const r = await cli(['import', html, good, '--data-dir', dataDir, '--json']);
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out.refused).toEqual([{ path: html, reason: expect.stringMatching(/HTML\/XML page/) }]);
    expect(out.files[0].already_imported).toBe(true);
  });

  it('search --json returns total, took_ms and hits; --facets adds facets', async () => {
    const r = await cli(['search', 'contract', '--data-dir', dataDir, '--json', '--sort', 'oldest', '--limit', '1', '--facets']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.total).toBe(2);
    expect(out.took_ms).toBeGreaterThanOrEqual(0);
    expect(out.hits).toEqual([{
      message_id: 'm1', cid: 'messaging:general', user_id: 'alice', user_name: 'Alice Café', created_at: '2024-03-01T09:00:00.123456Z',
      type: 'regular', snippet: 'Kickoff meeting about the merger <mark>contract</mark>', deleted: false, edited: false, parent_id: null,
    }]);
    expect(out.next_cursor).toEqual(expect.any(String));
    expect(out.facets.users.map((u: any) => [u.key, u.count])).toEqual([['alice', 1], ['bob', 1]].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    const next = await cli(['search', 'contract', '--data-dir', dataDir, '--json', '--sort', 'oldest', '--limit', '1', '--cursor', out.next_cursor]);
    expect(next.json().hits.map((h: any) => h.message_id)).toEqual(['m2']);
  });

  it('search explains a bad query with exit code 2', async () => {
    const r = await cli(['search', '"unclosed', '--data-dir', dataDir, '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toEqual({ error: { code: 'bad_query', message: expect.stringMatching(/quote is not closed/) } });
    expect(r.stderr).toMatch(/quote is not closed/);
  });

  it('context --json shows the conversation around a message', async () => {
    const r = await cli(['context', 'm4', '--before', '1', '--after', '1', '--data-dir', dataDir, '--json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.messages.map((m: any) => m.message_id)).toEqual(['m2', 'm4', 'm5']);
    expect(out).toMatchObject({ cid: 'messaging:general', channel_name: 'General', anchor: 'm4', has_more_before: true, has_more_after: false });
    const missing = await cli(['context', 'nope', '--data-dir', dataDir, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not in the archive/);
  });

  it('stats --json counts what the archive holds', async () => {
    const r = await cli(['stats', '--data-dir', dataDir, '--json']);
    expect(r.json()).toMatchObject({ data_dir: dataDir, messages: 6, channels: 2, users: 3, files: 1, rejected_lines: 1, deleted_messages: 1 });
  });

  it('ARCHIVIST_DATA_DIR selects the archive when --data-dir is absent', async () => {
    const r = await cli(['stats', '--json'], { ARCHIVIST_DATA_DIR: dataDir });
    expect(r.json().messages).toBe(6);
  });

  it('import without --json tells what it is doing, including the quiet phases at the end', async () => {
    const fresh = path.join(dir, 'fresh-data');
    const r = await cli(['import', good, '--data-dir', fresh]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/export\.ndjson: 6 messages read; building the message indexes…/);
    expect(r.stderr).toMatch(/making everything searchable…/);
    expect(r.stdout).toMatch(/export\.ndjson: v2, 6 messages \(6 new, 0 new versions\)/);
  });

  it('usage mistakes exit 2 with the usage text', async () => {
    const r = await cli(['search', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: archivist search/);
    const u = await cli(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/Unknown command "frobnicate"/);
    const bad = await cli(['search', 'x', '--limit', 'lots', '--data-dir', dataDir]);
    expect(bad.code).toBe(2);
  });

  it('bin/archivist.js runs on this machine\'s Node (re-running itself on the project Node when needed)', async () => {
    const r = await run('node', [bin, 'stats', '--json', '--data-dir', dataDir], { env: { ...process.env, PATH: `/usr/bin:/bin:/usr/local/bin` } });
    expect(JSON.parse(r.stdout).messages).toBe(6);
    const fail = await run(process.execPath, [bin, 'import', path.join(dir, 'missing.json'), '--data-dir', dataDir]).catch((e) => e);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/file not found/);
  });
});
