import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The native line scanner (native/line-scan.cc, built by `npm install` through node-gyp): strict
 * validation of a v2 envelope line plus the byte ranges of the values the importer reads, so a
 * message line needs no JSON.parse of the whole line. Absent (not built, another platform), the
 * importer parses every line with JSON.parse, as before; with CI=true a test requires it.
 */
export interface LineScanner {
  /** 1 message, 2 reaction (ranges in `out`), 0 not vouched for: parse the line with JSON.parse. */
  scan(buf: Buffer, start: number, end: number, out: Int32Array): number;
  /** `out` holds [start, end, kind] per key, in this order, then one flag. */
  keys: readonly string[];
}

/** Value kinds reported per key (0: the key is absent). */
export const KIND = { str: 1, strEscaped: 2, num: 3, true: 4, false: 5, null: 6, objEmpty: 7, obj: 8, arrEmpty: 9, arr: 10, strNonAscii: 11 } as const;

const KEYS = ['id', 'text', 'type', 'cid', 'created_at', 'updated_at', 'deleted_at', 'parent_id', 'user', 'user_id', 'attachments',
  'latest_reactions', 'reaction_counts', 'pinned', 'show_in_channel', 'reply_count', 'message_text_updated_at', 'channel', 'message_id',
  'score'] as const;

function load(): LineScanner | null {
  if (process.env.ARCHIVIST_NATIVE_SCAN === '0') return null;
  // The package root: source (main/…) and compiled (dist/main/…) layouts differ in depth.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8 && !fs.existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  const file = path.join(dir, 'native', 'build', 'Release', 'line_scan.node');
  try {
    const m = createRequire(import.meta.url)(file) as { scan: LineScanner['scan']; nkeys: number; version: number };
    // A stale build (another key list, or without the kinds this file expects): not used.
    if (m.nkeys !== KEYS.length || m.version !== 2) return null;
    return { scan: m.scan, keys: KEYS };
  } catch {
    return null;
  }
}

export const lineScanner: LineScanner | null = load();
