/** Binds the archive (main/core/archive) to the engine's ArchivePort. */
import type { Archive } from '../archive/index.ts';
import type { ArchivePort } from './ports.ts';

export function archivePort(archive: Archive, _dataDir?: string): ArchivePort & { close(): void } {
  // Asked for by every report; archive.stats() counts every table, so ask it once.
  let sqlite: Promise<string | null> | null = null;
  return {
    importFiles: (paths, opts) =>
      archive.importFiles(paths, {
        ...opts,
        // Evidence files are named by their hash: saves the archive a second hashing pass.
        sha256: paths.length === 1 && /^[0-9a-f]{64}$/.test(paths[0].split(/[\\/]/).pop() ?? '') ? paths[0].split(/[\\/]/).pop() : undefined,
      }),
    async countFileMessages(sha256) {
      const r = await archive.fileMessageCounts(sha256);
      return r ? { channels: new Map(Object.entries(r.channels)), users: new Map(Object.entries(r.users)) } : null;
    },
    sqliteVersion() {
      sqlite ??= archive.stats().then((s) => s.sqlite_version ?? null);
      sqlite.catch(() => {
        sqlite = null;
      });
      return sqlite;
    },
    close() {},
  };
}
