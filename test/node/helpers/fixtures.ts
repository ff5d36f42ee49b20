import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

/** Small hand-made Stream entities for precise assertions (realistic data comes from main/sandbox/data). */
export const user = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id, name, role: 'user', created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', banned: false, online: false, ...extra,
});

export const channel = (cid: string, name: string | null, extra: Record<string, unknown> = {}) => {
  const [type, id] = cid.split(':');
  return {
    cid, id, type, ...(name ? { name } : {}), created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z',
    frozen: false, disabled: false, member_count: 2, config: { name: type }, ...extra,
  };
};

export const member = (u: ReturnType<typeof user>, extra: Record<string, unknown> = {}) => ({
  user_id: u.id, user: u, created_at: '2024-01-01T00:00:00Z', updated_at: '2024-01-01T00:00:00Z', banned: false,
  shadow_banned: false, role: 'member', channel_role: 'channel_member', notifications_muted: false, ...extra,
});

export const message = (id: string, cid: string, u: ReturnType<typeof user>, created_at: string, text: string, extra: Record<string, unknown> = {}) => ({
  id, text, html: `<p>${text}</p>\n`, type: 'regular', user: u, attachments: [], latest_reactions: [], own_reactions: [],
  reaction_counts: {}, reaction_scores: {}, reaction_groups: null, reply_count: 0, deleted_reply_count: 0, cid,
  created_at, updated_at: created_at, shadowed: false, mentioned_users: [], silent: false, pinned: false, pinned_at: null,
  pinned_by: null, pin_expires: null, ...extra,
});

export const reaction = (messageId: string, u: ReturnType<typeof user>, type: string, at: string) => ({
  message_id: messageId, user_id: u.id, user: u, type, score: 1, created_at: at, updated_at: at,
});

export type Entity = { type: 'user' | 'channel' | 'member' | 'message' | 'reaction' | 'read'; data: Record<string, unknown> };

export function v2Lines(entities: Entity[], shape: 'envelope' | 'wrapper' | 'bare' = 'envelope'): string {
  return entities
    .map((e) => JSON.stringify(shape === 'envelope' ? e : shape === 'wrapper' ? { [e.type]: e.data } : e.data))
    .join('\n') + '\n';
}

export function v1Document(elements: { channel: unknown; messages: unknown[]; members: unknown[] }[]): string {
  return JSON.stringify(elements);
}

export function tmpDir(prefix = 'archivist-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, content: string | Buffer, gzip = false): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, gzip ? zlib.gzipSync(content) : content);
  return p;
}

/** A small conversation with everything the importer must handle. */
export function sampleConversation() {
  const alice = user('alice', 'Alice Café');
  const bob = user('bob', 'Bob Smith');
  const noor = user('noor', 'نور الهدى');
  const general = channel('messaging:general', 'General');
  const dm = channel('messaging:!members-alice-bob', null);
  const m = [
    message('m1', general.cid, alice, '2024-03-01T09:00:00.123456Z', 'Kickoff meeting about the merger contract'),
    message('m2', general.cid, bob, '2024-03-01T09:05:00Z', 'The contract draft is attached', {
      attachments: [{ type: 'file', title: 'draft-contract.pdf', asset_url: 'https://cdn.example.com/draft.pdf', mime_type: 'application/pdf', file_size: 12345 }],
    }),
    message('m3', general.cid, alice, '2024-03-01T09:06:00Z', 'Looks good, signing tomorrow', {
      parent_id: 'm2', type: 'reply', latest_reactions: [reaction('m3', bob, 'like', '2024-03-01T09:07:00Z')], reaction_counts: { like: 1 },
    }),
    message('m4', general.cid, noor, '2024-03-02T10:00:00Z', 'مرحبا بالجميع — 東京オフィス の 会議 😀 café au lait', { pinned: true, pinned_at: '2024-03-02T10:01:00Z' }),
    message('m5', general.cid, bob, '2024-03-03T11:00:00Z', 'This message was removed', { type: 'deleted', deleted_at: '2024-03-04T00:00:00Z' }),
    message('m6', dm.cid, alice, '2024-04-01T12:00:00Z', 'Private: budget numbers for Q2 <script>alert(1)</script> & more'),
  ];
  const entities: Entity[] = [
    { type: 'user', data: alice }, { type: 'user', data: bob }, { type: 'user', data: noor },
    { type: 'channel', data: general }, { type: 'member', data: member(alice) }, { type: 'member', data: member(bob) }, { type: 'member', data: member(noor) },
    ...m.slice(0, 5).map((data) => ({ type: 'message' as const, data })),
    { type: 'reaction', data: reaction('m1', bob, 'love', '2024-03-01T09:01:00Z') },
    { type: 'read', data: { user: alice, last_read: '2024-03-03T12:00:00Z', unread_messages: 0, last_read_message_id: 'm5' } },
    { type: 'channel', data: dm }, { type: 'member', data: member(alice) }, { type: 'member', data: member(bob) },
    { type: 'message', data: m[5] },
  ];
  return { alice, bob, noor, general, dm, messages: m, entities };
}
