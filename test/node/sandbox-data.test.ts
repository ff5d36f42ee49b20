import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createDataset, parseTimeUs, formatUs, type StreamMessage } from '../../main/sandbox/data/index.ts';
import { writeChannelExport, writeUserExport } from '../../main/sandbox/data/export-writer.ts';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-data-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) => {
  let buf = fs.readFileSync(file);
  if (file.endsWith('.gz')) buf = zlib.gunzipSync(buf);
  return buf.toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
};

describe('dataset generator', () => {
  const ds = createDataset({ seed: 11, messages: 6000, channels: 12, users: 60 });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = createDataset({ seed: 11, messages: 6000, channels: 12, users: 60 });
    expect(again.users).toEqual(ds.users);
    expect(again.channels).toEqual(ds.channels);
    const cid = ds.channels[0].cid;
    expect([...again.messages(cid)]).toEqual([...ds.messages(cid)]);
    expect([...again.reactions(cid)]).toEqual([...ds.reactions(cid)]);
    expect(again.reads(cid)).toEqual(ds.reads(cid));
    const other = createDataset({ seed: 12, messages: 6000, channels: 12, users: 60 });
    expect(other.users.map((u) => u.id)).not.toEqual(ds.users.map((u) => u.id));
  });

  it('produces exactly the requested counts', () => {
    expect(ds.users).toHaveLength(60);
    expect(ds.channels).toHaveLength(12);
    let total = 0;
    for (const c of ds.channels) {
      const n = [...ds.messages(c.cid)].length;
      expect(n).toBe(ds.messageCount(c.cid));
      total += n;
    }
    expect(total).toBe(6000);
  });

  it('generates channels of every kind with realistic fields', () => {
    const types = new Set(ds.channels.map((c) => c.type));
    expect(types).toEqual(new Set(['messaging', 'team', 'livestream']));
    const dm = ds.channels.find((c) => c.id.startsWith('!members-'))!;
    expect(dm.name).toBeUndefined();
    expect(ds.members(dm.cid)).toHaveLength(2);
    const team = ds.channels.find((c) => c.type === 'team')!;
    expect(team.name).toBeTruthy();
    expect(team.cid).toBe(`team:${team.id}`);
    expect(team.created_by?.id).toBeTruthy();
    const names = ds.users.map((u) => u.name).join(' ');
    expect(names).toMatch(/[\u00c0-\u017f]/); // accents
    expect(names).toMatch(/[\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af\u0590-\u06ff]/); // CJK / Hangul / Hebrew / Arabic
  });

  it('yields chronological messages with consistent threads, reactions, edits and deletions', () => {
    const seen = { reply: 0, system: 0, deleted: 0, edited: 0, pinned: 0, attachments: 0, reactions: 0, unicode: 0, quoted: 0 };
    for (const c of ds.channels) {
      let prev = -Infinity;
      const byId = new Map<string, StreamMessage>();
      const replyCount = new Map<string, number>();
      for (const m of ds.messages(c.cid)) {
        const t = parseTimeUs(m.created_at);
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
        expect(parseTimeUs(m.updated_at)).toBeGreaterThanOrEqual(t);
        expect(m.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$/);
        expect(m.cid).toBe(c.cid);
        expect(m.user?.id).toBeTruthy();
        if (m.parent_id) {
          expect(byId.has(m.parent_id)).toBe(true);
          replyCount.set(m.parent_id, (replyCount.get(m.parent_id) ?? 0) + 1);
          seen.reply++;
        }
        if (m.type === 'system') seen.system++;
        if (m.type === 'deleted') {
          seen.deleted++;
          expect(m.deleted_at).toBeTruthy();
          expect(typeof m.text).toBe('string');
        }
        if (m.message_text_updated_at) {
          seen.edited++;
          expect(parseTimeUs(m.updated_at)).toBeGreaterThan(t);
        }
        if (m.pinned) seen.pinned++;
        if (m.attachments.length) {
          seen.attachments++;
          expect(m.attachments[0].asset_url).toMatch(/^https:\/\//);
          expect(typeof m.attachments[0].mime_type).toBe('string');
          expect(typeof m.attachments[0].file_size).toBe('number');
        }
        if (m.quoted_message_id) seen.quoted++;
        if (/[^\x00-\x7f]/.test(m.text)) seen.unicode++;
        if (m.latest_reactions.length) {
          seen.reactions++;
          const total = Object.values(m.reaction_counts ?? {}).reduce((a, b) => a + b, 0);
          expect(m.latest_reactions.length).toBe(Math.min(10, total));
          expect(m.reaction_groups).not.toBeNull();
        } else expect(m.reaction_groups).toBeNull();
        byId.set(m.id, m);
      }
      for (const [parent, n] of replyCount) {
        const p = byId.get(parent)!;
        expect(p.reply_count + p.deleted_reply_count).toBe(n);
      }
      // Standalone reactions match the counts carried by the messages.
      const counted = [...byId.values()].reduce((a, m) => a + Object.values(m.reaction_counts ?? {}).reduce((x, y) => x + y, 0), 0);
      const reactions = [...ds.reactions(c.cid)];
      expect(reactions.length).toBe(counted);
      for (const r of reactions) expect(byId.has(r.message_id)).toBe(true);
    }
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });

  it('has members joining/leaving with system messages and read states', () => {
    const busy = ds.channels.filter((c) => c.type !== 'livestream').sort((a, b) => ds.messageCount(b.cid) - ds.messageCount(a.cid))[0];
    const members = ds.members(busy.cid);
    expect(members.length).toBe(busy.member_count);
    expect(members[0].user.id).toBe(members[0].user_id);
    const reads = ds.reads(busy.cid);
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) {
      expect(members.some((m) => m.user_id === r.user.id)).toBe(true);
      expect(r.unread_messages).toBeGreaterThanOrEqual(0);
    }
  });

  it('scales lazily: a 1M-message dataset is planned instantly and channels stream on demand', () => {
    const t0 = performance.now();
    const big = createDataset({ seed: 3, messages: 1_000_000 });
    expect(performance.now() - t0).toBeLessThan(2000);
    const total = big.channels.reduce((a, c) => a + big.messageCount(c.cid), 0);
    expect(total).toBe(1_000_000);
    const cid = big.channels[5].cid;
    let n = 0;
    for (const _ of big.messages(cid)) n++;
    expect(n).toBe(big.messageCount(cid));
  });

  it('formats Go-style timestamps', () => {
    expect(formatUs(Date.UTC(2025, 0, 23, 13, 5, 3) * 1000 + 66660)).toBe('2025-01-23T13:05:03.06666Z');
    expect(formatUs(Date.UTC(2025, 0, 23, 13, 5, 3) * 1000)).toBe('2025-01-23T13:05:03Z');
    expect(parseTimeUs('2025-01-23T13:05:03.06666Z')).toBe(Date.UTC(2025, 0, 23, 13, 5, 3) * 1000 + 66660);
    expect(parseTimeUs('2025-01-23T14:05:03+01:00')).toBe(Date.UTC(2025, 0, 23, 13, 5, 3) * 1000);
  });
});

describe('export writer', () => {
  const ds = createDataset({ seed: 5, messages: 3000, channels: 8, users: 40 });
  const live = ds.channels.filter((c) => !c.deleted_at);

  it('writes v1 as one JSON array of {channel, messages, members}', async () => {
    const file = path.join(dir, 'v1.json');
    const res = await writeChannelExport(file, ds, { version: 'v1' });
    const text = fs.readFileSync(file, 'utf8');
    expect(res.bytes).toBe(Buffer.byteLength(text));
    const doc = JSON.parse(text);
    expect(Array.isArray(doc)).toBe(true);
    expect(doc).toHaveLength(live.length);
    expect(Object.keys(doc[0])).toEqual(['channel', 'messages', 'members']);
    expect(res.messages).toBe(doc.reduce((a: number, c: { messages: unknown[] }) => a + c.messages.length, 0));
    // Go-style escaping, never raw '<' in the bytes.
    expect(text).not.toMatch(/[<>&]/);
    expect(text).toContain('\\u003cp\\u003e');
  });

  it('writes v2 lines in the documented order and in each shape', async () => {
    for (const shape of ['envelope', 'wrapper', 'bare'] as const) {
      const file = path.join(dir, `v2-${shape}.jsonl`);
      const cids = live.slice(0, 3).map((c) => c.cid);
      const res = await writeChannelExport(file, ds, { version: 'v2', shape, cids, include_truncated_messages: true });
      const rows = lines(file);
      const typed = rows.map((r) => {
        if (shape === 'envelope') {
          expect(Object.keys(r)).toEqual(['type', 'data']);
          return [r.type as string, r.data];
        }
        if (shape === 'wrapper') {
          expect(Object.keys(r)).toHaveLength(1);
          const k = Object.keys(r)[0];
          return [k, r[k]];
        }
        const kind = 'config' in r ? 'channel' : 'last_read' in r ? 'read' : 'message_id' in r && 'score' in r ? 'reaction' : 'channel_role' in r ? 'member' : 'html' in r ? 'message' : 'user';
        return [kind, r];
      });
      let i = 0;
      while (typed[i][0] === 'user') i++;
      expect(i).toBeGreaterThan(0);
      const order = ['channel', 'member', 'message', 'reaction', 'read'];
      let channels = 0;
      let messages = 0;
      let last = -1;
      for (; i < typed.length; i++) {
        const [kind, data] = typed[i];
        const rank = order.indexOf(kind);
        expect(rank, `line ${i} ${kind}`).toBeGreaterThanOrEqual(0);
        if (kind === 'channel') {
          expect(data.cid).toBe(cids[channels]);
          channels++;
        } else expect(rank).toBeGreaterThanOrEqual(last);
        if (kind === 'message') {
          messages++;
          expect(data.cid).toBe(cids[channels - 1]);
          expect(data.user.id).toBeTruthy();
        }
        last = rank;
      }
      expect(channels).toBe(3);
      expect(messages).toBe(res.messages);
      expect(res.messages).toBe(cids.reduce((a, c) => a + ds.messageCount(c), 0));
    }
  });

  it('gzips and honours since/until (since inclusive, until exclusive)', async () => {
    const cid = live[0].cid;
    const all = [...ds.messages(cid)];
    const since = all[Math.floor(all.length / 4)].created_at;
    const until = all[Math.floor(all.length / 2)].created_at;
    const file = path.join(dir, 'win.jsonl.gz');
    const res = await writeChannelExport(file, ds, { version: 'v2', gzip: true, cids: [cid], messages_since: since, messages_until: until, include_truncated_messages: true });
    expect(fs.readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const msgs = lines(file).filter((r) => r.type === 'message').map((r) => r.data);
    const expected = all.filter((m) => parseTimeUs(m.created_at) >= parseTimeUs(since) && parseTimeUs(m.created_at) < parseTimeUs(until));
    expect(msgs.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    expect(res.messages).toBe(expected.length);
    const reactions = lines(file).filter((r) => r.type === 'reaction').map((r) => r.data);
    const ids = new Set(expected.map((m) => m.id));
    for (const r of reactions) expect(ids.has(r.message_id)).toBe(true);
  });

  it('honours clear_deleted_message_text, truncation and soft-deleted channels', async () => {
    const big = createDataset({ seed: 9, messages: 20000, channels: 60, users: 80 });
    const deleted = big.channels.find((c) => c.deleted_at);
    const truncated = big.channels.find((c) => c.truncated_at && !c.deleted_at);
    expect(deleted && truncated).toBeTruthy();
    const f1 = path.join(dir, 'opts1.jsonl');
    const r1 = await writeChannelExport(f1, big, { version: 'v2', cids: [deleted!.cid, truncated!.cid] });
    expect(r1.channels).toBe(1);
    const tr = parseTimeUs(truncated!.truncated_at!);
    const kept = [...big.messages(truncated!.cid)].filter((m) => parseTimeUs(m.created_at) >= tr).length;
    expect(r1.messages).toBe(kept);
    const f2 = path.join(dir, 'opts2.jsonl');
    const r2 = await writeChannelExport(f2, big, {
      version: 'v2', cids: [deleted!.cid, truncated!.cid], include_soft_deleted_channels: true, include_truncated_messages: true, clear_deleted_message_text: true,
    });
    expect(r2.channels).toBe(2);
    expect(r2.messages).toBe(big.messageCount(deleted!.cid) + big.messageCount(truncated!.cid));
    const del = lines(f2).filter((r) => r.type === 'message' && r.data.type === 'deleted');
    expect(del.length).toBeGreaterThan(0);
    for (const d of del) expect(d.data.text).toBe('');
    await expect(writeChannelExport(path.join(dir, 'x'), big, { version: 'v2', cids: ['messaging:nope'] })).rejects.toThrow(/Can't find channel with id messaging:nope/);
  });

  it('writes user exports: user line, their messages, then their reactions', async () => {
    const user = ds.users[0];
    const file = path.join(dir, 'users.jsonl');
    const res = await writeUserExport(file, ds, [user.id]);
    const rows = lines(file);
    expect(rows[0]).toEqual({ type: 'user', data: user });
    let phase = 'message';
    for (const r of rows.slice(1)) {
      if (r.type === 'reaction') phase = 'reaction';
      expect(r.type).toBe(phase);
      if (r.type === 'message') {
        expect(r.data.user.id).toBe(user.id);
        expect(r.data.cid).toBeTruthy();
      } else expect(r.data.user_id).toBe(user.id);
    }
    let expected = 0;
    for (const c of ds.channels) for (const m of ds.messages(c.cid)) if (m.user?.id === user.id) expected++;
    expect(res.messages).toBe(expected);
    const capped = await writeUserExport(file, ds, [user.id], { maxMessagesPerUser: 3 });
    expect(capped.messages).toBe(Math.min(3, expected));
    if (expected > 3) expect(capped.truncatedUsers).toEqual([user.id]);
  });

  it('applies mutations: added messages, edits, deletions and new channels', () => {
    const m = createDataset({ seed: 5, messages: 3000, channels: 8, users: 40 });
    const cid = m.channels[0].cid;
    const before = m.messageCount(cid);
    const now = parseTimeUs('2026-02-01T00:00:00Z');
    const added = m.addMessages(cid, 3, now);
    expect(m.messageCount(cid)).toBe(before + 3);
    const all = [...m.messages(cid)];
    expect(all.slice(-3).map((x) => x.id)).toEqual(added.map((x) => x.id));
    const [id1, id2] = m.pickMessageIds(cid, 2);
    m.editMessage(cid, id1, 'edited text & more', now);
    m.deleteMessage(cid, id2, now);
    const after = new Map([...m.messages(cid)].map((x) => [x.id, x]));
    expect(after.get(id1)!.text).toBe('edited text & more');
    expect(after.get(id1)!.message_text_updated_at).toBe(formatUs(now));
    expect(after.get(id2)!.type).toBe('deleted');
    const ch = m.addChannel({ atUs: now, messages: 25, name: 'Fresh' });
    expect(m.channels.at(-1)).toBe(ch);
    expect([...m.messages(ch.cid)]).toHaveLength(25);
    for (const x of m.messages(ch.cid)) expect(parseTimeUs(x.created_at)).toBeLessThan(now);
  });
});
