/**
 * Compares an archive with the sandbox's source data: per-channel message counts and a content
 * digest (id, type, text, parent) over every message, in id order.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Dataset } from '../../../main/sandbox/data/index.ts';
import type { StreamChannel, StreamMessage } from '../../../main/sandbox/data/types.ts';

export interface Digest {
  counts: Record<string, number>;
  digest: Record<string, string>;
  total: number;
}

function line(m: { id: string; type: string; text: string; parent_id?: string | null }): string {
  return `${m.id}\t${m.type}\t${m.text}\t${m.parent_id ?? ''}`;
}

function finish(byCid: Map<string, string[]>): Digest {
  const counts: Record<string, number> = {};
  const digest: Record<string, string> = {};
  let total = 0;
  for (const [cid, lines] of [...byCid].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.sort();
    counts[cid] = lines.length;
    total += lines.length;
    digest[cid] = createHash('sha256').update(lines.join('\n')).digest('hex');
  }
  return { counts, digest, total };
}

/** What a default channel export (no window, no truncated messages, no deleted channels) holds. */
export function expectedDigest(ds: Dataset, cids: string[], o: { includeTruncated?: boolean; includeDeleted?: boolean } = {}): Digest {
  const byCid = new Map<string, string[]>();
  const channels = new Map(ds.channels.map((c) => [c.cid, c] as [string, StreamChannel]));
  for (const cid of cids) {
    const ch = channels.get(cid)!;
    if (ch.deleted_at && !o.includeDeleted) continue;
    const cut = ch.truncated_at && !o.includeTruncated ? Date.parse(ch.truncated_at) : null;
    const lines: string[] = [];
    for (const m of ds.messages(cid) as Iterable<StreamMessage>) {
      if (cut !== null && Date.parse(m.created_at) < cut) continue;
      lines.push(line({ id: m.id, type: m.type, text: m.text ?? '', parent_id: m.parent_id }));
    }
    // The archive knows channels through their messages here: a channel with none adds nothing.
    if (lines.length) byCid.set(cid, lines);
  }
  return finish(byCid);
}

export function archiveDigest(dataDir: string): Digest & { duplicates: number } {
  const db = new Database(path.join(dataDir, 'archive.db'), { readonly: true });
  try {
    const rows = db
      .prepare('SELECT m.id, m.type, m.text, m.parent_id, c.cid FROM messages m JOIN channels c ON c.pk = m.channel_pk')
      .all() as { id: string; type: string; text: string; parent_id: string | null; cid: string }[];
    const byCid = new Map<string, string[]>();
    const ids = new Set<string>();
    for (const r of rows) {
      ids.add(r.id);
      let l = byCid.get(r.cid);
      if (!l) byCid.set(r.cid, (l = []));
      l.push(line(r));
    }
    return { ...finish(byCid), duplicates: rows.length - ids.size };
  } finally {
    db.close();
  }
}
