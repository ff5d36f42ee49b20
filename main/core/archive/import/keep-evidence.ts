import crypto from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import { copyFileDirect } from '../../evidence/copy-direct.ts';

/** A copy being written is touched continuously; one untouched for an hour was left by a killed import. */
const STALE_PARTIAL_MS = 60 * 60 * 1000;

/** Removes evidence copies that killed imports left unfinished (`.partial-*`, never a kept file). */
export function removeStalePartials(dir: string, now = Date.now()) {
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith('.partial-')) continue;
    const file = nodePath.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > STALE_PARTIAL_MS) fs.rmSync(file, { force: true });
    } catch {
      /* gone meanwhile (another import finished or removed it) */
    }
  }
}

/**
 * Keeps an imported file as evidence: an immutable copy named by its SHA-256, written beside the
 * import (by the archive worker, whose event loop is free: the import thread parses without
 * yielding). Files already in the store are left alone.
 *
 * The copy starts once the hash is known: the hash and the parser read the file while the first
 * transaction waits for the hash, and a copy reading and writing the same gigabyte then would hold
 * them all up. The copy has the rest of the import to finish.
 */
export async function keepEvidence(src: string, sha256: Promise<string>, evidenceDir: string): Promise<string> {
  const abs = nodePath.resolve(src);
  const sha = await sha256;
  const existing = nodePath.join(evidenceDir, sha);
  if (abs === existing || fs.existsSync(existing)) return existing;
  fs.mkdirSync(evidenceDir, { recursive: true });
  removeStalePartials(evidenceDir);
  const tmp = nodePath.join(evidenceDir, `.partial-${crypto.randomUUID()}`);
  try {
    await copyFileDirect(abs, tmp);
    await fs.promises.chmod(tmp, 0o444);
    if (fs.existsSync(existing)) await fs.promises.rm(tmp, { force: true });
    else await fs.promises.rename(tmp, existing);
    return existing;
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
