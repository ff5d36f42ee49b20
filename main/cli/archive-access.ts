import { openArchive, type Archive } from '../core/archive/index.ts';
import { defaultDataDir } from '../core/paths.ts';
import type { CliIO } from './command.ts';

/** `--data-dir` wins, then ARCHIVIST_DATA_DIR, then the OS application-data folder. */
export const resolveDataDir = (io: CliIO, flag: string | undefined) => (flag ? flag : defaultDataDir(io.env));

export async function withArchive<T>(dataDir: string, fn: (a: Archive) => Promise<T>): Promise<T> {
  const archive = await openArchive(dataDir);
  try {
    return await fn(archive);
  } finally {
    await archive.close();
  }
}

export const dataDirOption = { 'data-dir': { type: 'string' as const } };
