import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, openArchive, type Archive, type SearchRequest } from '../../main/core/archive/index.ts';
import { createDataset } from '../../main/sandbox/data/index.ts';
import { writeChannelExport } from '../../main/sandbox/data/export-writer.ts';
import { channel, message, sampleConversation, tmpDir, user, v2Lines, writeFile, type Entity } from './helpers/fixtures.ts';

let dir: string;
let archive: Archive;

const ids = async (query: string, extra: Partial<SearchRequest> = {}) =>
  (await archive.search({ query, sort: 'oldest', limit: 100, ...extra })).hits.map((h) => h.message_id);

beforeAll(async () => {
  dir = tmpDir();
  archive = await openArchive(path.join(dir, 'data'));
  const { entities } = sampleConversation();
  const eve = user('eve.o', 'Ève Ødegård');
  const ops = channel('team:ops-2024', 'Operations');
  const extra: Entity[] = [
    { type: 'channel', data: ops },
    { type: 'message', data: message('o1', ops.cid, eve, '2024-05-10T08:00:00Z', 'Invoice INV-2024-0042 approved for payment') },
    { type: 'message', data: message('o2', ops.cid, eve, '2024-05-11T08:00:00Z', 'the quarterly budget report is late again') },
    { type: 'message', data: message('o3', ops.cid, eve, '2024-05-12T08:00:00Z', 'report on the budget: quarterly numbers attached') },
    { type: 'message', data: message('o4', ops.cid, eve, '2024-05-13T08:00:00Z', 'Über-contractor résumé received; naïve façade') },
    { type: 'message', data: message('o5', ops.cid, eve, '2024-06-01T08:00:00Z', 'Robert said: DROP TABLE messages; -- and "quotes" (parens) NEAR* col:x ^start') },
    { type: 'message', data: message('o6', ops.cid, eve, '2024-06-02T08:00:00Z', 'שלום עולם and 北京 的 合同 signed') },
  ];
  await archive.importFiles([writeFile(dir, 'a.ndjson', v2Lines([...entities, ...extra]))]);
});
afterAll(async () => {
  await archive.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('query language', () => {
  it('words (all must match), case- and accent-insensitive', async () => {
    expect(await ids('contract')).toEqual(['m1', 'm2']);
    expect(await ids('CONTRACT merger')).toEqual(['m1']);
    expect(await ids('cafe')).toEqual(['m4']);
    expect(await ids('café')).toEqual(['m4']);
    expect(await ids('uber resume naive facade')).toEqual(['o4']);
    expect(await ids('ÜBER')).toEqual(['o4']);
  });

  it('phrases keep word order', async () => {
    expect(await ids('"budget report"')).toEqual(['o2']);
    expect(await ids('"report budget"')).toEqual([]);
    expect(await ids('budget report')).toEqual(['o2', 'o3']);
  });

  it('prefix and substring', async () => {
    expect(await ids('contr*')).toEqual(['m1', 'm2', 'o4']);
    expect(await ids('*udge*')).toEqual(['m6', 'o2', 'o3']);
    expect(await ids('*0042')).toEqual(['o1']);
  });

  it('AND, OR, NOT, -, parentheses', async () => {
    expect(await ids('budget AND late')).toEqual(['o2']);
    expect(await ids('invoice OR signing')).toEqual(['m3', 'o1']);
    expect(await ids('budget NOT late')).toEqual(['m6', 'o3']);
    expect(await ids('budget -late')).toEqual(['m6', 'o3']);
    expect(await ids('(invoice OR merger) contract')).toEqual(['m1']);
    expect(await ids('NOT budget in:Operations')).toEqual(['o1', 'o4', 'o5', 'o6']);
    expect(await ids('-from:eve.o in:ops-2024')).toEqual([]);
  });

  it('NEAR', async () => {
    expect(await ids('NEAR(budget quarterly, 2)')).toEqual(['o2', 'o3']);
    expect(await ids('NEAR(budget numbers, 0)')).toEqual(['m6']);
    expect(await ids('NEAR(budget numbers, 1)')).toEqual(['m6', 'o3']);
    expect(await ids('NEAR("quarterly numbers" report, 4)')).toEqual(['o3']);
  });

  it('from: by id, name or first name; in: by cid, id or name', async () => {
    expect(await ids('from:alice')).toEqual(['m1', 'm3', 'm6']);
    expect(await ids('from:"Bob Smith"')).toEqual(['m2', 'm5']);
    expect(await ids('from:bob contract')).toEqual(['m2']);
    expect(await ids('from:eve')).toEqual(['o1', 'o2', 'o3', 'o4', 'o5', 'o6']); // "Ève" folded
    expect(await ids('in:general from:noor')).toEqual(['m4']);
    expect(await ids('in:messaging:general budget')).toEqual([]);
    expect(await ids('in:ops-2024 budget')).toEqual(['o2', 'o3']);
    expect(await ids('(from:alice OR from:noor) in:General')).toEqual(['m1', 'm3', 'm4']);
    const r = await archive.search({ query: 'from:nobody contract' });
    expect(r.total).toBe(0);
    expect(r.notices).toEqual(['No user matches "nobody" in the archive.']);
  });

  it('before:, after:, on: (UTC days and months)', async () => {
    expect(await ids('on:2024-03-01')).toEqual(['m1', 'm2', 'm3']);
    expect(await ids('after:2024-03-01 before:2024-04-01')).toEqual(['m4', 'm5']);
    expect(await ids('before:2024-03-02 contract')).toEqual(['m1', 'm2']);
    expect(await ids('on:2024-05 budget')).toEqual(['o2', 'o3']);
    expect(await ids('after:2024-06-01')).toEqual(['o6']);
  });

  it('has: and is: filters', async () => {
    expect(await ids('has:attachment')).toEqual(['m2']);
    expect(await ids('draft has:attachment')).toEqual(['m2']); // attachment titles are searchable
    expect(await ids('has:reaction')).toEqual(['m3']);
    expect(await ids('is:reply')).toEqual(['m3']);
    expect(await ids('is:deleted')).toEqual(['m5']);
    expect(await ids('removed is:deleted')).toEqual(['m5']);
    expect(await ids('is:pinned')).toEqual(['m4']);
    expect(await ids('is:edited')).toEqual([]);
  });

  it('finds deleted messages with a marker', async () => {
    const r = await archive.search({ query: 'removed' });
    expect(r.hits[0]).toMatchObject({ message_id: 'm5', deleted: true, type: 'deleted' });
  });

  it('unicode: CJK substrings, RTL words, emoji-bearing text', async () => {
    expect(await ids('東京')).toEqual(['m4']);
    expect(await ids('会議')).toEqual(['m4']);
    expect(await ids('合同')).toEqual(['o6']);
    expect(await ids('مرحبا')).toEqual(['m4']);
    expect(await ids('שלום')).toEqual(['o6']);
    expect(await ids('"au lait"')).toEqual(['m4']);
  });
});

describe('hostile and mistaken input', () => {
  it('treats operators and SQL inside quotes and words as plain text', async () => {
    expect(await ids('"DROP TABLE messages"')).toEqual(['o5']);
    expect(await ids('DROP TABLE messages; --'), 'sql').toEqual(['o5']);
    expect(await ids('col:x'), 'col').toEqual(['o5']);
    expect(await ids('^start'), 'caret').toEqual(['o5']);
    expect(await ids('{text}: robert'), 'colspec').toEqual([]); // the words "text" and "robert", not a column filter
    expect(await ids('{meta}: fany OR c1'), 'meta colspec').toEqual([]);
    expect(await ids("robert' OR 1=1 --")).toEqual(['o5']); // robert, or the word "1=1": nothing more
    expect(await ids('meta:fany')).toEqual([]); // internal filter tokens are not reachable from text
    expect(await ids('fany')).toEqual([]);
    expect((await archive.stats()).messages).toBe(12);
  });

  const mistakes: [string, RegExp][] = [
    ['"unclosed phrase', /quote is not closed/],
    ['(budget OR', /OR needs something on both sides|parenthesis is not closed/],
    ['budget)', /\) without a matching \(/],
    ['OR budget', /must stand between/],
    ['NEAR(budget)', /at least two words/],
    ['NEAR(a b, x)', /number of words/],
    ['before:yesterday', /needs a date/],
    ['before:2024-13-45', /not a valid date|needs a date/],
    ['has:unicorns', /has:unicorns is not a filter/],
    ['is:happy', /is:happy is not a filter/],
    ['from:', /needs a value/],
    ['😀', /no letters or digits/],
    ['*', /lone \*/],
    ['()', /Empty parentheses/],
    ['from:alice OR before:2024-01-01', /date filter\) can only be combined with AND/],
  ];
  for (const [q, msg] of mistakes) {
    it(`explains ${JSON.stringify(q)} without leaking SQLite`, async () => {
      const err = await archive.search({ query: q }).then(() => null, (e) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect(err.code).toBe('bad_query');
      expect(err.message).toMatch(msg);
      expect(err.message).not.toMatch(/sqlite|fts5|SQL logic/i);
    });
  }

  it('an empty query lists everything', async () => {
    expect((await archive.search({ query: '   ' })).total).toBe(12);
  });
});

describe('results', () => {
  it('sorts by relevance, newest and oldest with exact totals', async () => {
    const rel = await archive.search({ query: 'budget', sort: 'relevance' });
    expect(rel.total).toBe(3);
    expect(rel.hits.map((h) => h.message_id).sort()).toEqual(['m6', 'o2', 'o3']);
    expect((await archive.search({ query: 'budget', sort: 'newest' })).hits.map((h) => h.message_id)).toEqual(['o3', 'o2', 'm6']);
    expect((await archive.search({ query: 'budget', sort: 'oldest' })).hits.map((h) => h.message_id)).toEqual(['m6', 'o2', 'o3']);
  });

  it('returns HTML-escaped snippets with highlighted hits', async () => {
    const r = await archive.search({ query: 'budget alert' });
    expect(r.hits[0].snippet).toBe('Private: <mark>budget</mark> numbers for Q2 &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; &amp; more');
    const p = await archive.search({ query: 'contr*' , sort: 'oldest' });
    expect(p.hits[0].snippet).toContain('<mark>contract</mark>');
    const c = await archive.search({ query: 'cafe' });
    expect(c.hits[0].snippet).toContain('<mark>café</mark>');
  });

  it('hits carry channel, user and time', async () => {
    const [h] = (await archive.search({ query: 'kickoff' })).hits;
    expect(h).toMatchObject({ message_id: 'm1', cid: 'messaging:general', channel_name: 'General', channel_label: 'General', user_id: 'alice', user_name: 'Alice Café', created_at: '2024-03-01T09:00:00.123456Z', type: 'regular', parent_id: null });
  });

  it('labels a direct-message channel (no name) by its members, keeping the exported name empty', async () => {
    const [h] = (await archive.search({ query: '"budget numbers for Q2"' })).hits;
    expect(h).toMatchObject({ message_id: 'm6', cid: 'messaging:!members-alice-bob', channel_name: null, channel_label: 'Alice Café, Bob Smith' });
    const ctx = await archive.context({ message_id: h.message_id, before: 0, after: 0 });
    expect(ctx).toMatchObject({ channel_name: null, channel_label: 'Alice Café, Bob Smith' });
    const channels = await archive.channels({});
    expect(channels.find((c) => c.cid === h.cid)).toMatchObject({ name: null, label: 'Alice Café, Bob Smith' });
    expect(channels.find((c) => c.cid === 'messaging:general')).toMatchObject({ name: 'General', label: 'General' });
    // Without a member list (e.g. a user export), the authors of its latest messages.
    const other = tmpDir();
    const solo = await openArchive(path.join(other, 'data'));
    try {
      const { alice, bob } = sampleConversation();
      const cid = 'messaging:!members-from-a-user-export';
      await solo.importFiles([writeFile(other, 'u.ndjson', v2Lines([{ type: 'channel', data: channel(cid, null) },
        { type: 'message', data: message('x1', cid, bob, '2024-05-01T10:00:00Z', 'hello there') },
        { type: 'message', data: message('x2', cid, alice, '2024-05-01T10:01:00Z', 'hello back') }]))]);
      expect((await solo.channels({})).find((c) => c.cid === cid)).toMatchObject({ name: null, members: 0, label: 'Alice Café, Bob Smith' });
    } finally {
      await solo.close();
      fs.rmSync(other, { recursive: true, force: true });
    }
    const facets = (await archive.search({ query: '"budget numbers for Q2" OR kickoff', facets: true })).facets!;
    expect(facets.channels.map((f) => f.label).sort()).toEqual(['Alice Café, Bob Smith', 'General']);
  });
});

describe('facets and pagination at scale', () => {
  let big: Archive;
  let bigDir: string;
  beforeAll(async () => {
    bigDir = tmpDir();
    big = await openArchive(path.join(bigDir, 'data'));
    const ds = createDataset({ seed: 11, messages: 6000 });
    const p = path.join(bigDir, 'x.ndjson');
    await writeChannelExport(p, ds, { version: 'v2', include_soft_deleted_channels: true, include_truncated_messages: true });
    await big.importFiles([p]);
  });
  afterAll(async () => {
    await big.close();
    fs.rmSync(bigDir, { recursive: true, force: true });
  });

  for (const sort of ['newest', 'oldest', 'relevance'] as const) {
    it(`pages through every hit exactly once (${sort})`, async () => {
      const first = await big.search({ query: 'the', sort, limit: 7 });
      expect(first.total).toBeGreaterThan(50);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const r = await big.search({ query: 'the', sort, limit: 200, cursor });
        expect(r.total).toBe(first.total);
        seen.push(...r.hits.map((h) => h.message_id));
        cursor = r.next_cursor ?? undefined;
        pages++;
      } while (cursor && pages < 100);
      expect(seen.length).toBe(first.total);
      expect(new Set(seen).size).toBe(first.total);
      if (sort !== 'relevance') {
        const times = (await Promise.all(seen.slice(0, 50).map(async (id) => (await big.context({ message_id: id, before: 0, after: 0 })).messages[0].created_at)));
        const ordered = [...times].sort();
        expect(times).toEqual(sort === 'oldest' ? ordered : ordered.reverse());
      }
    });
  }

  it('facets count per channel, user and month and add up to the total', async () => {
    const r = await big.search({ query: 'report OR budget', facets: true, limit: 5 });
    const sum = (xs: { count: number }[]) => xs.reduce((n, x) => n + x.count, 0);
    expect(r.facets!.months.length).toBeGreaterThan(3);
    expect(sum(r.facets!.months)).toBe(r.total);
    expect(sum(r.facets!.users)).toBe(r.total);
    expect(sum(r.facets!.channels)).toBeLessThanOrEqual(r.total);
    const top = r.facets!.channels[0];
    expect((await big.search({ query: `(report OR budget) in:${top.key}` })).total).toBe(top.count);
    const topUser = r.facets!.users[0];
    expect((await big.search({ query: `(report OR budget) from:${topUser.key}` })).total).toBe(topUser.count);
    const month = r.facets!.months[0];
    expect((await big.search({ query: `(report OR budget) on:${month.key}` })).total).toBe(month.count);
  });

  it('answers the broadest words and prefixes from precomputed lists, identical to the live ranking', async () => {
    const fts = new Database(path.join(bigDir, 'data', 'fts.db'), { readonly: true });
    try {
      const deadline = Date.now() + 30_000;
      const hot = () => fts.prepare("SELECT key FROM hot_queries WHERE key IN ('w:the', 'p:the')").pluck().all() as string[];
      while (hot().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(hot().sort()).toEqual(['p:the', 'w:the']);
    } finally {
      fts.close();
    }
    for (const q of ['the', 'THE', 'the*']) {
      const fast = await big.search({ query: q, sort: 'relevance', limit: 40 });
      // A date filter spanning everything takes the live path: same ranking, same total.
      const live = await big.search({ query: `${q} after:1970-01-01`, sort: 'relevance', limit: 40 });
      expect(fast.total).toBe(live.total);
      expect(fast.hits.map((h) => h.message_id)).toEqual(live.hits.map((h) => h.message_id));
      const page2 = await big.search({ query: q, sort: 'relevance', limit: 40, cursor: fast.next_cursor! });
      const live2 = await big.search({ query: `${q} after:1970-01-01`, sort: 'relevance', limit: 40, cursor: live.next_cursor! });
      expect(page2.hits.map((h) => h.message_id)).toEqual(live2.hits.map((h) => h.message_id));
      expect(await big.facets(q)).toEqual(await big.facets(`${q} after:1970-01-01`));
    }
  });

  it('rejects a tampered cursor', async () => {
    const err = await big.search({ query: 'the', cursor: 'garbage!' }).catch((e) => e);
    expect(err.code).toBe('bad_cursor');
  });
});

describe('index rows derived inside SQLite', () => {
  it('META_TOKENS_SQL and BODY_SQL give exactly metaTokens and the body, for every flag combination', async () => {
    const { BODY_SQL, META_TOKENS_SQL, metaTokens } = await import('../../main/core/archive/meta-tokens.ts');
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE batch (text TEXT, att_text TEXT, channel_pk INTEGER, user_pk INTEGER, flags INTEGER, versions INTEGER)');
      const ins = db.prepare('INSERT INTO batch VALUES (?,?,?,?,?,?)');
      const rows: [string, string | null, number, number | null, number, number][] = [];
      for (let flags = 0; flags < 128; flags++) {
        for (const versions of [1, 2]) {
          for (const userPk of [null, 7, 123456]) {
            for (const att of [null, '', 'photo.png trip']) rows.push([`text ${flags} café`, att, 3 + flags, userPk, flags, versions]);
          }
        }
      }
      for (const r of rows) ins.run(...r);
      const got = db.prepare(`SELECT ${META_TOKENS_SQL} AS meta, ${BODY_SQL} AS body FROM batch ORDER BY rowid`).all() as { meta: string; body: string }[];
      expect(got).toEqual(rows.map(([text, att, ch, u, flags, versions]) => ({
        meta: metaTokens(u, ch, flags, versions), body: att ? `${text}\n${att}` : text,
      })));
    } finally {
      db.close();
    }
  });
});
