/**
 * Binds the archive (main/core/archive) to the engine's ArchivePort.
 *
 * `countFileMessages` uses the archive's own `fileMessageCounts` when it has one; until then it
 * reads archive.db through a separate read-only connection (WAL: never blocks the import
 * worker), counting the messages first seen in, or sighted again in, the given file.
 */
import Database from 'better-sqlite3';
import type { Archive } from '../archive/index.ts';
import { dataPaths } from '../paths.ts';
import type { ArchivePort } from './ports.ts';

type FileCounts = { channels: Map<string, number>; users: Map<string, number> };
type WithFileCounts = { fileMessageCounts?: (sha256: string) => Promise<{ channels: Record<string, number>; users: Record<string, number> } | null> };

export function archivePort(archive: Archive, dataDir: string): ArchivePort & { close(): void } {
  let ro: Database.Database | null = null;
  const db = () => {
    if (!ro) {
      ro = new Database(dataPaths(dataDir).archiveDb, { readonly: true, fileMustExist: true });
      ro.pragma('busy_timeout = 5000');
    }
    return ro;
  };
  const a = archive as Archive & WithFileCounts;
  return {
    importFiles: (paths, opts) =>
      archive.importFiles(paths, {
        ...opts,
        // Evidence files are named by their hash: saves the archive a second hashing pass.
        sha256: paths.length === 1 && /^[0-9a-f]{64}$/.test(paths[0].split(/[\\/]/).pop() ?? '') ? paths[0].split(/[\\/]/).pop() : undefined,
      }),
    async countFileMessages(sha256) {
      if (a.fileMessageCounts) {
        const r = await a.fileMessageCounts(sha256);
        return r ? { channels: new Map(Object.entries(r.channels)), users: new Map(Object.entries(r.users)) } : null;
      }
      const file = db().prepare(`SELECT id FROM files WHERE sha256 = ? AND status = 'complete'`).get(sha256) as { id: number } | undefined;
      if (!file) return null;
      // Sightings point at the message's time key where the schema has one (tkey), else its rowid.
      const cols = db().prepare(`SELECT name FROM pragma_table_info('messages')`).all() as { name: string }[];
      const key = cols.some((c) => c.name === 'tkey') ? 'm.tkey' : 'm.rowid';
      const rows = db()
        .prepare(
          `SELECT c.cid AS cid, u.id AS uid, count(*) AS n
             FROM messages m
             JOIN channels c ON c.pk = m.channel_pk
             LEFT JOIN users u ON u.pk = m.user_pk
            WHERE m.file_id = @id OR ${key} IN (SELECT message_rowid FROM message_sightings WHERE file_id = @id)
            GROUP BY c.cid, u.id`,
        )
        .all({ id: file.id }) as { cid: string; uid: string | null; n: number }[];
      const out: FileCounts = { channels: new Map(), users: new Map() };
      for (const r of rows) {
        out.channels.set(r.cid, (out.channels.get(r.cid) ?? 0) + r.n);
        if (r.uid) out.users.set(r.uid, (out.users.get(r.uid) ?? 0) + r.n);
      }
      return out;
    },
    async sqliteVersion() {
      return (await archive.stats()).sqlite_version ?? null;
    },
    close() {
      ro?.close();
      ro = null;
    },
  };
}
