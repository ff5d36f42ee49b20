import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../main/core/archive/index.ts';
import { createDataset } from '../../main/sandbox/data/index.ts';
import { writeChannelExport } from '../../main/sandbox/data/export-writer.ts';
import { tmpDir } from './helpers/fixtures.ts';

const child = path.join(import.meta.dirname, 'fixtures', 'archive-import-child.ts');
let dir: string;
let file: string;
let expected: number;

beforeAll(async () => {
  dir = tmpDir();
  file = path.join(dir, 'export.ndjson');
  const ds = createDataset({ seed: 21, messages: 40000 });
  const r = await writeChannelExport(file, ds, { version: 'v2', include_soft_deleted_channels: true, include_truncated_messages: true });
  expected = r.messages;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the importer in a child; kills it with SIGKILL once `killAfter` messages are reported. */
function runChild(dataDir: string, killAfter?: number): Promise<{ killed: boolean; progressed: number }> {
  return new Promise((resolve, reject) => {
    // Small transactions, so the kill lands after several commits (a first import bulk-loads:
    // the message indexes are dropped until it ends, and the next open must rebuild them).
    const p = spawn(process.execPath, [child, dataDir, file], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ARCHIVIST_IMPORT_COMMIT_EVERY: '2000' },
    });
    let progressed = 0;
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (line.progress !== undefined) progressed = line.progress;
        if (killAfter !== undefined && progressed >= killAfter && !p.killed) p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', progressed }));
  });
}

function check(dataDir: string) {
  const db = new Database(path.join(dataDir, 'archive.db'), { readonly: true });
  db.prepare('ATTACH DATABASE ? AS ftsdb').run(path.join(dataDir, 'fts.db'));
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      messages: (db.prepare('SELECT count(*) n FROM messages').get() as any).n,
      distinct: (db.prepare('SELECT count(DISTINCT id) n FROM messages').get() as any).n,
      indexed: (db.prepare("SELECT count(*) n FROM messages_fts WHERE messages_fts MATCH 'meta : fany'").get() as any).n,
      files: db.prepare('SELECT status FROM files').all(),
      indexes: (db.prepare("SELECT count(*) n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").get() as any).n,
    };
  } finally {
    db.close();
  }
}

describe('a process killed mid-import', () => {
  for (const killAfter of [4000, 24000]) {
    it(`leaves a consistent archive and a re-run completes it exactly (killed after ~${killAfter} messages)`, async () => {
      const dataDir = path.join(dir, `data-${killAfter}`);
      const first = await runChild(dataDir, killAfter);
      expect(first.killed).toBe(true);
      expect(first.progressed).toBeLessThan(expected);
      const mid = check(dataDir);
      expect(mid.integrity).toBe('ok');
      expect(mid.messages).toBe(mid.distinct);
      // Killed before its first commit, an import leaves nothing; after, a file row a re-run resumes.
      if (killAfter > 10_000) expect(mid.messages).toBeGreaterThan(0);
      if (mid.messages > 0) expect(mid.files).toEqual([{ status: 'importing' }]);
      else expect(mid.files).toEqual([]);

      const second = await runChild(dataDir);
      expect(second.killed).toBe(false);
      const end = check(dataDir);
      expect(end).toEqual({
        integrity: 'ok', messages: expected, distinct: expected, indexed: expected, files: [{ status: 'complete' }], indexes: 5,
      });

      // Same answers as an archive that was never interrupted.
      const clean = await openArchive(path.join(dir, `clean-${killAfter}`));
      const interrupted = await openArchive(dataDir);
      try {
        await clean.importFiles([file]);
        const [a, b] = await Promise.all([clean.stats(), interrupted.stats()]);
        for (const k of ['messages', 'channels', 'users', 'members', 'reactions', 'attachments', 'reads', 'message_versions'] as const) {
          expect(b[k], k).toBe(a[k]);
        }
        for (const q of ['the', 'budget OR contract', 'has:attachment', 'is:reply']) {
          expect((await interrupted.search({ query: q })).total, q).toBe((await clean.search({ query: q })).total);
        }
      } finally {
        await clean.close();
        await interrupted.close();
      }
    });
  }
});
