/**
 * The evidence store: every export file Archivist downloaded, unchanged, named by its SHA-256
 * under `<dataDir>/evidence/`, read-only. Files arrive through `<dataDir>/tmp/` and are renamed
 * into place atomically after they were flushed, so a file under evidence/ is always whole.
 * The same bytes downloaded twice are one file (and two evidence records).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dataPaths } from '../paths.ts';
import { readOverlapped } from './read-overlapped.ts';

export const SHA256_RE = /^[0-9a-f]{64}$/;

export class EvidenceStore {
  readonly dataDir: string;
  readonly dir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    const p = dataPaths(dataDir);
    this.dataDir = dataDir;
    this.dir = p.evidenceDir;
    this.tmpDir = p.tmpDir;
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
  }

  /** Where a job's download lives while it is incomplete. */
  tmpFile(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`bad temporary file name ${name}`);
    return path.join(this.tmpDir, name);
  }

  pathFor(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256);
  }

  /** Path relative to the data dir, as stored in records and reports. */
  relativePath(sha256: string): string {
    return path.relative(this.dataDir, this.pathFor(sha256)).split(path.sep).join('/');
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fs.access(this.pathFor(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Moves a flushed temporary file into the store under its hash. The caller passes the hash it
   * computed; it is checked again here so a wrong name can never happen.
   */
  async promote(tmpFile: string, sha256: string, o: { hashed?: boolean } = {}): Promise<{ path: string; existed: boolean; size: number }> {
    const target = this.pathFor(sha256);
    // `hashed`: the caller has just hashed this very file (verification); skip a second pass.
    const actual = o.hashed ? { sha256, size: (await fs.stat(tmpFile)).size } : await hashFile(tmpFile);
    if (actual.sha256 !== sha256) {
      throw new Error(`temporary file ${path.basename(tmpFile)} changed on disk (hash ${actual.sha256}, expected ${sha256})`);
    }
    if (await this.has(sha256)) {
      // Same bytes already kept (an earlier task, or a crash after the rename): never rewrite.
      await fs.rm(tmpFile, { force: true });
      return { path: target, existed: true, size: actual.size };
    }
    await fs.chmod(tmpFile, 0o444);
    await fs.rename(tmpFile, target);
    await fsyncDir(this.dir);
    return { path: target, existed: false, size: actual.size };
  }

  /** Recomputes a stored file's hash (for `verify` and the tests). */
  async verify(sha256: string): Promise<{ ok: boolean; size: number; actual: string | null }> {
    try {
      const h = await hashFile(this.pathFor(sha256));
      return { ok: h.sha256 === sha256, size: h.size, actual: h.sha256 };
    } catch {
      return { ok: false, size: 0, actual: null };
    }
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => SHA256_RE.test(n)).sort();
  }
}

/**
 * SHA-256 and size of a file. 4 MB reads overlapped with hashing (1 MB reads one after another
 * took 6 s per GB on this project's VM, see readOverlapped).
 */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const CHUNK = 4 << 20;
  const fh = await fs.open(file, 'r');
  try {
    const size = await readOverlapped(fh, [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)], (chunk) => {
      hash.update(chunk);
    });
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename itself durable. Not supported on Windows (EISDIR/EPERM): the rename is
  // still atomic there, just not flushed yet.
  let h: fs.FileHandle | null = null;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    /* best effort */
  } finally {
    await h?.close().catch(() => {});
  }
}
