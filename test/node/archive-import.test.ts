import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openArchive, type Archive, type ImportProgress } from '../../main/core/archive/index.ts';
import { createDataset } from '../../main/sandbox/data/index.ts';
import { writeChannelExport, writeUserExport } from '../../main/sandbox/data/export-writer.ts';
import {
  channel, member, message, sampleConversation, tmpDir, user, v1Document, v2Lines, writeFile, type Entity,
} from './helpers/fixtures.ts';

let dir: string;
let dataDir: string;
let archive: Archive;

beforeEach(async () => {
  dir = tmpDir();
  dataDir = path.join(dir, 'data');
  archive = await openArchive(dataDir);
});
afterEach(async () => {
  await archive.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Direct, read-only look at the database file the archive wrote. */
function peek<T = any>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(dataDir, 'archive.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

describe('formats and line shapes', () => {
  const { entities, general, dm } = sampleConversation();

  for (const shape of ['envelope', 'wrapper', 'bare'] as const) {
    for (const gzip of [false, true]) {
      it(`imports v2 ${shape} lines${gzip ? ' (gzip)' : ''}`, async () => {
        const f = writeFile(dir, `export-${shape}.data`, v2Lines(entities, shape), gzip);
        const r = await archive.importFiles([f]);
        expect(r.refused).toEqual([]);
        expect(r.files[0]).toMatchObject({ format: 'v2', shape, gzip, messages: 6, new_messages: 6, channels: 2, users: 3, members: 5, rejected: 0, reads: 1 });
        expect(r.files[0].reactions).toBe(2); // one embedded latest_reaction + one reaction line
        const stats = await archive.stats();
        expect(stats).toMatchObject({ messages: 6, channels: 2, users: 3, members: 5, reactions: 2, attachments: 1, reads: 1, deleted_messages: 1 });
        // Members without a cid belong to the channel line before them.
        expect(peek('SELECT c.cid, count(*) n FROM members m JOIN channels c ON c.pk = m.channel_pk GROUP BY c.cid ORDER BY c.cid'))
          .toEqual([{ cid: dm.cid, n: 2 }, { cid: general.cid, n: 3 }]);
      });
    }
  }

  for (const gzip of [false, true]) {
    it(`streams a v1 document${gzip ? ' (gzip)' : ''} with channel, messages and members`, async () => {
      const { messages, alice, bob, noor } = sampleConversation();
      const doc = v1Document([
        { channel: general, messages: messages.slice(0, 5), members: [member(alice), member(bob), member(noor)] },
        { channel: dm, messages: [messages[5]], members: [member(alice), member(bob)] },
      ]);
      const f = writeFile(dir, 'export.json', doc, gzip);
      const r = await archive.importFiles([f]);
      expect(r.files[0]).toMatchObject({ format: 'v1', shape: 'document', gzip, messages: 6, channels: 2, members: 5, rejected: 0 });
      const ctx = await archive.context({ message_id: 'm4', before: 10, after: 10 });
      expect(ctx.messages.map((m) => m.message_id)).toEqual(['m1', 'm2', 'm4', 'm5']); // m3 is a thread reply
    });
  }

  it('reads a v1 document whose channel element lists members before the channel', async () => {
    const { alice } = sampleConversation();
    const f = writeFile(dir, 'odd.json', `[{"members":[${JSON.stringify(member(alice))}],"channel":${JSON.stringify(general)},"messages":[]}]`);
    const r = await archive.importFiles([f]);
    expect(r.files[0]).toMatchObject({ members: 1, channels: 1, rejected: 0 });
  });

  it('imports realistic sandbox exports identically from v1, v2 (every shape) and gzip', async () => {
    const ds = createDataset({ seed: 3, messages: 1500 });
    const files = [];
    for (const [name, opts] of [
      ['a.ndjson', { version: 'v2', shape: 'envelope' }], ['b.ndjson', { version: 'v2', shape: 'wrapper' }],
      ['c.ndjson', { version: 'v2', shape: 'bare' }], ['d.json', { version: 'v1' }], ['e.gz', { version: 'v2', gzip: true }],
    ] as const) {
      const p = path.join(dir, name);
      await writeChannelExport(p, ds, { ...opts, include_soft_deleted_channels: true, include_truncated_messages: true });
      files.push(p);
    }
    const first = await archive.importFiles([files[0]]);
    const total = first.files[0].messages;
    expect(total).toBeGreaterThan(1000);
    expect(first.files[0].rejected).toBe(0);
    // The first import is a bulk load (rows appended several per statement, with literals for
    // the values they share): every message, attachment and reaction is there exactly as written.
    const source = fs.readFileSync(files[0], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((l) => l.type === 'message').map((l) => l.data);
    const rows = new Map(peek(`SELECT m.id, m.text, m.type, m.created_at, m.parent_id, m.file_id, m.raw, m.meta, c.cid,
        (SELECT json_group_array(json_array(a.type, a.title, a.url, a.mime_type, a.file_size)) FROM
          (SELECT * FROM attachments a WHERE a.message_rowid = m.tkey ORDER BY a.idx) a) AS atts,
        (SELECT count(*) FROM reactions r WHERE r.message_id = m.id) AS reactions
      FROM messages m JOIN channels c ON c.pk = m.channel_pk`).map((r) => [r.id, r]));
    expect(rows.size).toBe(source.length);
    let withAttachments = 0;
    for (const m of source) {
      const r = rows.get(m.id);
      expect(r).toMatchObject({ text: m.text ?? '', type: m.type, created_at: m.created_at, parent_id: m.parent_id ?? null, cid: m.cid,
        file_id: 1, raw: null, meta: '' });
      const atts = (m.attachments ?? []).map((a: any) => [a.type ?? null, a.title ?? a.name ?? a.fallback ?? null,
        a.asset_url ?? a.image_url ?? a.title_link ?? a.og_scrape_url ?? a.thumb_url ?? null, a.mime_type ?? null, a.file_size ?? null]);
      expect(JSON.parse(r.atts)).toEqual(atts);
      if (atts.length) withAttachments++;
      expect(r.reactions).toBe(new Set((m.latest_reactions ?? []).map((x: any) => `${x.user?.id ?? x.user_id}/${x.type}`)).size);
    }
    expect(withAttachments).toBeGreaterThan(8 * 3); // enough to fill several multi-row statements
    const counts = await archive.stats();
    for (const f of files.slice(1)) {
      const r = await archive.importFiles([f]);
      expect(r.files[0].messages).toBe(total);
      expect(r.files[0].new_messages).toBe(0); // same data, other container: nothing new
      expect(r.files[0].new_versions).toBe(0);
      expect(r.files[0].rejected).toBe(0);
    }
    const after = await archive.stats();
    expect(after.messages).toBe(counts.messages);
    expect(after.reactions).toBe(counts.reactions);
    expect(after.files).toBe(5);
    // Every dataset message is there exactly once.
    const expected = ds.channels.reduce((n, c) => n + ds.messageCount(c.cid), 0);
    expect(after.messages).toBe(expected);
  });

  it('imports user exports (v2 lines) and the synchronous GDPR user document', async () => {
    const ds = createDataset({ seed: 5, messages: 800 });
    const uid = ds.users[0].id;
    const p = path.join(dir, 'users.ndjson');
    const w = await writeUserExport(p, ds, [uid]);
    const r = await archive.importFiles([p]);
    expect(r.files[0]).toMatchObject({ format: 'v2', rejected: 0, messages: w.messages });
    const { alice, general, messages } = sampleConversation();
    const doc = { user: alice, messages: [messages[0], messages[2]], reactions: [], duration: '1.2ms' };
    const g = writeFile(dir, 'gdpr.json', JSON.stringify(doc, null, 2));
    const r2 = await archive.importFiles([g]);
    expect(r2.files[0]).toMatchObject({ format: 'user', messages: 2, rejected: 0 });
    void general;
  });
});

describe('identity, history and provenance', () => {
  it('re-importing a file changes nothing and says so', async () => {
    const { entities } = sampleConversation();
    const f = writeFile(dir, 'a.ndjson', v2Lines(entities));
    const first = await archive.importFiles([f]);
    const before = peek('SELECT count(*) n FROM messages')[0];
    const copy = writeFile(dir, 'renamed-copy.txt', fs.readFileSync(f));
    const again = await archive.importFiles([f, copy]);
    expect(again.files.map((x) => x.already_imported)).toEqual([true, true]);
    expect(again.files[0].sha256).toBe(first.files[0].sha256);
    expect(peek('SELECT count(*) n FROM messages')[0]).toEqual(before);
    expect(peek('SELECT count(*) n FROM files')[0]).toEqual({ n: 1 });
  });

  it('merges overlapping exports without duplicates and records every file that held a message', async () => {
    const { alice, bob, general } = sampleConversation();
    const a = [message('x1', general.cid, alice, '2024-05-01T10:00:00Z', 'one'), message('x2', general.cid, bob, '2024-05-01T10:01:00Z', 'two')];
    const b = [a[1], message('x3', general.cid, alice, '2024-05-01T10:02:00Z', 'three')];
    const ent = (ms: unknown[]): Entity[] => [{ type: 'channel', data: general }, ...ms.map((data: any) => ({ type: 'message' as const, data }))];
    const r1 = await archive.importFiles([writeFile(dir, '1.ndjson', v2Lines(ent(a)))]);
    const r2 = await archive.importFiles([writeFile(dir, '2.ndjson', v2Lines(ent(b)))]);
    expect(r2.files[0]).toMatchObject({ messages: 2, new_messages: 1 });
    expect(peek('SELECT id FROM messages ORDER BY tkey').map((r) => r.id)).toEqual(['x1', 'x2', 'x3']);
    const files = peek<{ id: string; sha: string }>(
      `SELECT m.id, f.sha256 sha FROM messages m JOIN files f ON f.id = m.file_id
       UNION ALL SELECT m.id, f.sha256 FROM message_sightings s JOIN messages m ON m.tkey = s.message_rowid JOIN files f ON f.id = s.file_id ORDER BY 1, 2`);
    const sha1 = r1.files[0].sha256, sha2 = r2.files[0].sha256;
    expect(files).toEqual(expect.arrayContaining([{ id: 'x1', sha: sha1 }, { id: 'x2', sha: sha1 }, { id: 'x2', sha: sha2 }, { id: 'x3', sha: sha2 }]));
    expect(files).toHaveLength(4);
    // Per-file completeness counts: each file accounts for the messages it held.
    expect(await archive.fileMessageCounts(sha1)).toEqual({ channels: { [general.cid]: 2 }, users: { alice: 1, bob: 1 } });
    expect(await archive.fileMessageCounts(sha2)).toEqual({ channels: { [general.cid]: 2 }, users: { alice: 1, bob: 1 } });
    expect(await archive.fileMessageCounts('0'.repeat(64))).toBeNull();
  });

  it('keeps every distinct version of an edited message and shows the latest, whatever the import order', async () => {
    const { alice, general } = sampleConversation();
    const v1 = message('e1', general.cid, alice, '2024-06-01T10:00:00Z', 'Meet at 5pm');
    const v2 = { ...v1, text: 'Meet at 6pm', updated_at: '2024-06-01T10:05:00Z', message_text_updated_at: '2024-06-01T10:05:00Z' };
    const v3 = { ...v1, text: 'Meet at 6pm', type: 'deleted', deleted_at: '2024-06-02T00:00:00Z', updated_at: '2024-06-02T00:00:00Z' };
    const file = (name: string, m: unknown) => writeFile(dir, name, v2Lines([{ type: 'channel', data: general }, { type: 'message', data: m as any }]));
    // Newest first, then an older export arrives: the latest stays shown, the old one is kept.
    await archive.importFiles([file('v3.ndjson', v3)]);
    const r = await archive.importFiles([file('v1.ndjson', v1), file('v2.ndjson', v2), file('v2-again.ndjson', { ...v2, reply_count: 0 })]);
    expect(r.files.map((f) => f.new_versions)).toEqual([1, 1, 0]);
    // Every file that held a version still accounts for the message.
    for (const f of r.files) expect((await archive.fileMessageCounts(f.sha256))!.channels[general.cid]).toBe(1);
    const versions = await archive.versions('e1');
    expect(versions.map((v) => [v.text, v.deleted])).toEqual([['Meet at 6pm', true], ['Meet at 5pm', false], ['Meet at 6pm', false]]);
    const [m] = (await archive.context({ message_id: 'e1', before: 0, after: 0 })).messages;
    expect(m).toMatchObject({ type: 'deleted', edited: true, versions: 3, text: 'Meet at 6pm' });
    expect(m.deleted_at).toBe('2024-06-02T00:00:00Z');
    const hits = await archive.search({ query: '"6pm" is:deleted is:edited' });
    expect(hits.total).toBe(1);
    expect(hits.hits[0]).toMatchObject({ message_id: 'e1', deleted: true, edited: true });
  });

  it('keeps the original JSON of every message in the evidence store (plain and gzip)', async () => {
    const { entities, messages } = sampleConversation();
    const text = v2Lines(entities, 'bare');
    const r = await archive.importFiles([writeFile(dir, 'plain.ndjson', text), writeFile(dir, 'zipped.gz', text.replace('Kickoff', 'Kick-off'), true)]);
    const raw = await archive.raw('m4');
    expect(JSON.parse(raw.json)).toEqual(messages[3]);
    expect(raw.sha256).toBe(r.files[0].sha256);
    const evidence = path.join(dataDir, 'evidence', r.files[0].sha256);
    expect(fs.readFileSync(evidence, 'utf8')).toBe(text);
    expect(fs.statSync(evidence).mode & 0o222).toBe(0); // read-only
    // The gzip file changed m1's text: m1's newest raw now comes from the gzip evidence.
    const raw1 = await archive.raw('m1');
    expect(raw1.sha256).toBe(r.files[1].sha256);
    expect(JSON.parse(raw1.json).text).toBe('Kick-off meeting about the merger contract');
    const files = await archive.evidence();
    expect(files.map((f) => f.sha256)).toEqual(r.files.map((f) => f.sha256));
  });

  it('removes unfinished evidence copies a killed import left behind, never one still being written', async () => {
    const evidenceDir = path.join(dataDir, 'evidence');
    fs.mkdirSync(evidenceDir, { recursive: true });
    const stale = path.join(evidenceDir, '.partial-left-by-a-kill');
    const fresh = path.join(evidenceDir, '.partial-being-written');
    fs.writeFileSync(stale, 'half a file');
    fs.writeFileSync(fresh, 'a copy in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(stale, twoHoursAgo, twoHoursAgo);
    const { entities } = sampleConversation();
    const r = await archive.importFiles([writeFile(dir, 'after-kill.ndjson', v2Lines(entities))]);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(fs.readdirSync(evidenceDir).sort()).toEqual(['.partial-being-written', r.files[0].sha256]);
  });
});

describe('bad input', () => {
  it('records malformed lines with line number and byte offset, and imports the rest', async () => {
    const { entities } = sampleConversation();
    const lines = v2Lines(entities).split('\n');
    lines.splice(5, 0, '{"type":"message","data":{"id":"oops",,}}', '["not", "an", "entity"]', '   ', '{"foo": 1}');
    const content = lines.join('\n');
    const f = writeFile(dir, 'bad.ndjson', content);
    const r = await archive.importFiles([f]);
    expect(r.refused).toEqual([]);
    expect(r.files[0].messages).toBe(6);
    expect(r.files[0].rejected).toBe(3);
    const offsetOfLine = (n: number) => Buffer.byteLength(lines.slice(0, n - 1).join('\n')) + 1;
    expect(r.rejected).toEqual([
      { file: f, line: 6, offset: offsetOfLine(6), reason: expect.stringMatching(/^malformed JSON/) },
      { file: f, line: 7, offset: offsetOfLine(7), reason: expect.stringMatching(/not a Stream entity/) },
      { file: f, line: 9, offset: offsetOfLine(9), reason: expect.stringMatching(/not a Stream entity/) },
    ]);
  });

  it('reports a truncated last line (and a truncated v1 document and gzip stream) as truncation', async () => {
    const { entities } = sampleConversation();
    const text = v2Lines(entities);
    const cut = text.slice(0, text.length - 40);
    const r = await archive.importFiles([writeFile(dir, 'cut.ndjson', cut)]);
    expect(r.rejected.at(-1)!.reason).toMatch(/truncated last line/);
    expect(r.files[0].messages).toBe(5);
    const doc = v1Document([{ channel: channel('team:x', 'X'), messages: [message('t1', 'team:x', user('u', 'U'), '2024-01-02T00:00:00Z', 'a'), message('t2', 'team:x', user('u', 'U'), '2024-01-03T00:00:00Z', 'b')], members: [] }]);
    const r2 = await archive.importFiles([writeFile(dir, 'cut.json', doc.slice(0, doc.length - 30))]);
    expect(r2.files[0].messages).toBe(1);
    expect(r2.rejected.at(-1)!.reason).toMatch(/truncated file/);
    const gz = zlib.gzipSync(text.replace(/Kickoff/, 'Kick'));
    const r3 = await archive.importFiles([writeFile(dir, 'cut.gz', gz.subarray(0, gz.length - 20))]);
    expect(r3.refused).toEqual([]);
    expect(r3.rejected.some((x) => /truncated/.test(x.reason))).toBe(true);
  });

  const refusals: [string, string | Buffer, RegExp][] = [
    ['empty', '', /empty/],
    ['whitespace', '  \n\n ', /only whitespace/],
    ['binary', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0, 0]), /binary/],
    ['html error page', '<!DOCTYPE html><html><body>AccessDenied: Request has expired</body></html>', /HTML\/XML page/],
    ['xml error', '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>', /HTML\/XML page/],
    ['stream error body', JSON.stringify({ code: 16, message: 'GetTask failed with error: "Can\'t find task"', StatusCode: 404, duration: '0.1ms' }), /Stream API error response/],
    ['unrelated json lines', '{"level":"info","msg":"hello"}\n{"level":"warn"}\n', /not a Stream entity/],
    ['unrelated json array', '[1, 2, 3]', /elements are not/],
    ['csv', 'id,text\n1,hello\n', /not JSON/],
  ];
  for (const [name, content, reason] of refusals) {
    it(`refuses ${name} before writing anything`, async () => {
      const f = writeFile(dir, `${name.replace(/\W/g, '-')}.json`, content);
      const r = await archive.importFiles([f]);
      expect(r.files).toEqual([]);
      expect(r.refused).toEqual([{ path: f, reason: expect.stringMatching(reason) }]);
      expect(peek('SELECT count(*) n FROM files')[0]).toEqual({ n: 0 });
      expect(fs.existsSync(path.join(dataDir, 'evidence'))).toBe(false);
    });
  }

  it('refuses a missing file and a folder with a clear reason, and still imports the other files', async () => {
    const { entities } = sampleConversation();
    const good = writeFile(dir, 'good.ndjson', v2Lines(entities));
    const r = await archive.importFiles([path.join(dir, 'nope.json'), dir, good]);
    expect(r.refused.map((x) => x.reason)).toEqual([expect.stringMatching(/file not found/), expect.stringMatching(/folder/)]);
    expect(r.files).toHaveLength(1);
  });
});

describe('concurrent callers', () => {
  it('runs simultaneous imports one after another on the single writer', async () => {
    const { alice, general } = sampleConversation();
    const files = [0, 1, 2].map((k) => writeFile(dir, `c${k}.ndjson`, v2Lines([
      { type: 'channel', data: general },
      ...Array.from({ length: 50 }, (_, i) => ({ type: 'message' as const, data: message(`c${k}-${i}`, general.cid, alice, `2024-07-0${k + 1}T10:${String(i).padStart(2, '0')}:00Z`, `batch ${k} item ${i}`) })),
    ])));
    const results = await Promise.all(files.map((f) => archive.importFiles([f])));
    expect(results.map((r) => r.files[0].new_messages)).toEqual([50, 50, 50]);
    expect((await archive.stats()).messages).toBe(150);
    expect((await archive.search({ query: 'batch' })).total).toBe(150);
  });
});

describe('progress', () => {
  it('reports bytes, lines and rate while importing', async () => {
    const ds = createDataset({ seed: 9, messages: 20000 });
    const p = path.join(dir, 'big.ndjson');
    await writeChannelExport(p, ds, { version: 'v2' });
    const events: ImportProgress[] = [];
    const r = await archive.importFiles([p], { onProgress: (e) => events.push(e) });
    expect(events.length).toBeGreaterThan(1);
    // Reading, then (a first import: bulk load) the index build, then the search index.
    const phases = events.map((e) => e.phase).filter((ph, i, all) => ph !== all[i - 1]);
    expect(phases).toEqual(['reading', 'indexes', 'search-index']);
    const read = events.filter((e) => e.phase === 'reading');
    expect(read.at(-1)!.bytes).toBe(fs.statSync(p).size);
    expect(read.at(-1)!.total_bytes).toBe(fs.statSync(p).size);
    expect(events.at(-1)!.messages).toBe(r.files[0].messages);
    for (let i = 1; i < events.length; i++) expect(events[i].lines).toBeGreaterThanOrEqual(events[i - 1].lines);
    // The next import is no bulk load: no index build phase.
    const again: ImportProgress[] = [];
    await archive.importFiles([writeFile(dir, 'small.ndjson', v2Lines(sampleConversation().entities))], { onProgress: (e) => again.push(e) });
    expect([...new Set(again.map((e) => e.phase))]).toEqual(['reading', 'search-index']);
  });
});

describe('id Bloom filter', () => {
  it('never says "absent" for an id it was given (52-bit hashes, all bit ranges)', async () => {
    const { IdBloom } = await import('../../main/core/archive/import/bloom.ts');
    const { idHash } = await import('../../main/core/archive/id-hash.ts');
    const bloom = new IdBloom(50_000);
    const ids = Array.from({ length: 50_000 }, (_, i) => `msg-${i}-${(i * 2654435761) % 1e9}`);
    for (const id of ids) bloom.add(idHash(id));
    expect(ids.every((id) => bloom.mayHave(idHash(id)))).toBe(true);
    for (const h of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 52 - 1, 2 ** 51 + 12345]) {
      bloom.add(h);
      expect(bloom.mayHave(h)).toBe(true);
    }
    const falsePositives = Array.from({ length: 20_000 }, (_, i) => `other-${i}`).filter((id) => bloom.mayHave(idHash(id))).length;
    expect(falsePositives).toBeLessThan(20_000 * 0.05);
  });
});

describe('bulk load (first import into an empty archive)', () => {
  it('drops and rebuilds the message indexes, and places same-instant and repeated messages exactly', async () => {
    const { alice, bob, general } = sampleConversation();
    const at = '2024-07-01T09:00:00.123456Z';
    // Three messages in the same microsecond, one message twice with two contents, then many more.
    const same = ['s1', 's2', 's3'].map((id, i) => message(id, general.cid, i % 2 ? bob : alice, at, `same instant ${id}`));
    const first = message('dup', general.cid, alice, '2024-07-01T09:01:00Z', 'first words');
    const second = { ...first, text: 'second words', updated_at: '2024-07-01T09:02:00Z', message_text_updated_at: '2024-07-01T09:02:00Z' };
    const many = Array.from({ length: 3000 }, (_, i) =>
      message(`m${i}`, general.cid, i % 2 ? bob : alice, new Date(Date.UTC(2024, 6, 2) + i * 1000).toISOString(), `bulk message ${i}`));
    const entities: Entity[] = [{ type: 'channel', data: general }, ...[...same, first, ...many, second].map((m) => ({ type: 'message' as const, data: m }))];
    const r = await archive.importFiles([writeFile(dir, 'bulk.ndjson', v2Lines(entities))]);
    expect(r.files[0]).toMatchObject({ messages: 3005, new_messages: 3004, new_versions: 1, rejected: 0 });

    const indexes = peek<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name").map((x) => x.name);
    expect(indexes).toEqual(['messages_channel', 'messages_file', 'messages_id', 'messages_parent', 'messages_tkey']);
    const keys = peek<{ tkey: number; id: string }>("SELECT tkey, id FROM messages WHERE id IN ('s1','s2','s3') ORDER BY tkey");
    expect(new Set(keys.map((k) => k.tkey)).size).toBe(3);
    expect(keys[2].tkey - keys[0].tkey).toBeLessThan(3); // neighbouring slots of the same instant
    expect(peek('SELECT count(*) n, count(DISTINCT id) d FROM messages')).toEqual([{ n: 3004, d: 3004 }]);
    expect((await archive.versions('dup')).map((v) => v.text)).toEqual(['first words', 'second words']);
    expect((await archive.context({ message_id: 'dup', before: 0, after: 0 })).messages[0]).toMatchObject({ text: 'second words', versions: 2 });
    expect((await archive.search({ query: '"same instant"' })).total).toBe(3);
    expect((await archive.search({ query: 'bulk message' })).total).toBe(3000);

    // The next import is not a bulk load: it finds what the first placed.
    const again = await archive.importFiles([writeFile(dir, 'again.ndjson', v2Lines([{ type: 'channel', data: general },
      { type: 'message', data: { ...many[0], text: 'bulk message 0 edited', updated_at: '2024-08-01T00:00:00Z' } }]))]);
    expect(again.files[0]).toMatchObject({ new_messages: 0, new_versions: 1 });
    expect(peek('SELECT count(*) n FROM messages')).toEqual([{ n: 3004 }]);
  });

  it('indexes in several batches (time-sorted seq ranges) and commits a bulk load in several transactions, missing nothing', async () => {
    await archive.close();
    process.env.ARCHIVIST_INDEX_BATCH = '700';
    process.env.ARCHIVIST_IMPORT_COMMIT_EVERY = '900';
    try {
      archive = await openArchive(dataDir);
      const { alice, bob, general, dm } = sampleConversation();
      // Two channels, time order unlike file order: each batch's rows are sorted by time key.
      const msgs = Array.from({ length: 2503 }, (_, i) => message(`k${i}`, i % 3 ? general.cid : dm.cid, i % 2 ? bob : alice,
        new Date(Date.UTC(2024, 6, 2) + ((i * 7919) % 2503) * 1000).toISOString(), `batched words ${i % 5 === 0 ? 'fifth' : 'other'} ${i}`));
      const entities: Entity[] = [{ type: 'channel', data: general }, { type: 'channel', data: dm }, ...msgs.map((m) => ({ type: 'message' as const, data: m }))];
      const r = await archive.importFiles([writeFile(dir, 'batched.ndjson', v2Lines(entities))]);
      expect(r.files[0]).toMatchObject({ messages: 2503, new_messages: 2503, rejected: 0 });
      expect(peek('SELECT count(*) n FROM messages')).toEqual([{ n: 2503 }]);
      expect((await archive.search({ query: 'batched' })).total).toBe(2503);
      expect((await archive.search({ query: 'fifth' })).total).toBe(501);
      expect((await archive.search({ query: `batched in:${dm.cid}` })).total).toBe(msgs.filter((m) => m.cid === dm.cid).length);
      const oldest = await archive.search({ query: 'batched', sort: 'oldest', limit: 3 });
      expect(oldest.hits.map((h) => h.created_at)).toEqual([...msgs].map((m) => m.created_at).sort().slice(0, 3));
      // The index's in-memory hash holds a whole batch (fts migration 2).
      const fts = new Database(path.join(dataDir, 'fts.db'), { readonly: true });
      expect(fts.prepare("SELECT v FROM messages_fts_config WHERE k = 'hashsize'").pluck().get()).toBe(32 * 1024 * 1024);
      fts.close();
    } finally {
      delete process.env.ARCHIVIST_INDEX_BATCH;
      delete process.env.ARCHIVIST_IMPORT_COMMIT_EVERY;
    }
  });

  it('restarts the WAL between its commits (the WAL never holds the whole load), missing nothing', async () => {
    await archive.close();
    process.env.ARCHIVIST_IMPORT_COMMIT_EVERY = '4000';
    try {
      archive = await openArchive(dataDir);
      const { alice, bob, general } = sampleConversation();
      const long = 'a fairly long message body so that every commit writes many pages '.repeat(6);
      const msgs = Array.from({ length: 20_000 }, (_, i) => message(`w${i}`, general.cid, i % 2 ? bob : alice,
        new Date(Date.UTC(2024, 7, 1) + i * 1000).toISOString(), `walrestart ${i} ${long}`));
      const file = writeFile(dir, 'wal.ndjson', v2Lines([{ type: 'channel', data: general }, ...msgs.map((m) => ({ type: 'message' as const, data: m }))]));
      // The WAL header's checkpoint sequence number (bytes 12–15) goes up each time the WAL restarts.
      const wal = path.join(dataDir, 'archive.db-wal');
      const restarts = new Set<number>();
      const head = Buffer.alloc(16);
      const poll = setInterval(() => {
        try {
          const fd = fs.openSync(wal, 'r');
          if (fs.readSync(fd, head, 0, 16, 0) === 16) restarts.add(head.readUInt32BE(12));
          fs.closeSync(fd);
        } catch { /* not there yet */ }
      }, 1);
      const r = await archive.importFiles([file]).finally(() => clearInterval(poll));
      expect(r.files[0]).toMatchObject({ messages: 20_000, new_messages: 20_000, rejected: 0 });
      expect((await archive.search({ query: 'walrestart' })).total).toBe(20_000);
      expect(peek('SELECT count(*) n, count(DISTINCT id) d FROM messages')).toEqual([{ n: 20_000, d: 20_000 }]);
      // Five commits, each checkpointed (archive worker) before the next transaction starts: the
      // WAL is rewritten from its start instead of growing by every page of the load. (Without
      // waiting for the checkpoints, the next transaction starts first and this sees one value.)
      expect(restarts.size).toBeGreaterThanOrEqual(3);
    } finally {
      delete process.env.ARCHIVIST_IMPORT_COMMIT_EVERY;
    }
  });

  it('refuses to write beside another process that is bulk-loading (indexes missing), and loses nothing', async () => {
    const { alice, general } = sampleConversation();
    const line = (id: string, text: string) => v2Lines([{ type: 'channel', data: general },
      { type: 'message', data: message(id, general.cid, alice, '2024-07-01T09:00:00Z', text) }]);
    await archive.importFiles([writeFile(dir, 'first.ndjson', line('b1', 'kept'))]);
    // What another process's first import looks like from here, mid-load.
    const db = new Database(path.join(dataDir, 'archive.db'));
    const { dropMessageIndexes } = await import('../../main/core/archive/schema.ts');
    dropMessageIndexes(db);
    db.close();
    await expect(archive.importFiles([writeFile(dir, 'second.ndjson', line('b2', 'not now'))])).rejects.toThrow(/another import is building/);
    expect(peek('SELECT id, text FROM messages')).toEqual([{ id: 'b1', text: 'kept' }]);
    expect(peek('SELECT status FROM files')).toEqual([{ status: 'complete' }]);
  });

  it('rebuilds indexes a killed bulk load left dropped when the archive is opened again', async () => {
    const { alice, general } = sampleConversation();
    await archive.importFiles([writeFile(dir, 'one.ndjson', v2Lines([{ type: 'channel', data: general },
      { type: 'message', data: message('a1', general.cid, alice, '2024-07-01T09:00:00Z', 'hello') }]))]);
    await archive.close();
    const db = new Database(path.join(dataDir, 'archive.db'));
    const { dropMessageIndexes } = await import('../../main/core/archive/schema.ts');
    dropMessageIndexes(db);
    db.close();
    archive = await openArchive(dataDir);
    expect(peek("SELECT count(*) n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'")).toEqual([{ n: 5 }]);
    expect((await archive.context({ message_id: 'a1', before: 0, after: 0 })).messages[0].text).toBe('hello');
  });
});

describe('substring vocabulary (words for *part* and CJK searches)', () => {
  const { alice, general } = sampleConversation();
  const file = (name: string, id: string, text: string) => writeFile(dir, name, v2Lines([{ type: 'channel', data: general },
    { type: 'message', data: message(id, general.cid, alice, '2024-07-01T09:00:00Z', text) }]));
  const fts = () => new Database(path.join(dataDir, 'fts.db'));

  it('adds the words of a small import from its own documents, and keeps them across restarts', async () => {
    await archive.importFiles([file('a.ndjson', 's1', 'quartermaster logistics')]);
    expect((await archive.search({ query: '*termast*' })).total).toBe(1);
    // A later small import: its words come from its documents (no scan of the whole vocabulary).
    await archive.importFiles([file('b.ndjson', 's2', 'xylophonic interlude')]);
    expect((await archive.search({ query: '*ylophon*' })).total).toBe(1);
    expect((await archive.search({ query: '*termast*' })).total).toBe(1);
    await archive.close();
    const db = fts();
    expect(db.prepare("SELECT v FROM indexer_state WHERE k = 'terms'").pluck().get()).toBe(1);
    db.close();
    archive = await openArchive(dataDir);
    await archive.importFiles([file('c.ndjson', 's3', 'zygomorphic blossoms')]);
    expect((await archive.search({ query: '*gomorph*' })).total).toBe(1);
    expect((await archive.search({ query: '*ylophon*' })).total).toBe(1);
  });

  it('rebuilds it from the whole index when a process stopped before bringing it up to date', async () => {
    await archive.importFiles([file('a.ndjson', 's1', 'quartermaster logistics')]);
    await archive.close();
    // As a kill between indexing and the vocabulary update leaves it.
    const db = fts();
    db.prepare("DELETE FROM terms_seen WHERE term = 'quartermaster'").run();
    db.prepare("DELETE FROM terms_tri WHERE term = 'quartermaster'").run();
    db.prepare("UPDATE indexer_state SET v = 0 WHERE k = 'terms'").run();
    db.close();
    archive = await openArchive(dataDir);
    await archive.importFiles([file('b.ndjson', 's2', 'xylophonic interlude')]);
    expect((await archive.search({ query: '*termast*' })).total).toBe(1);
    expect((await archive.search({ query: '*ylophon*' })).total).toBe(1);
  });
});

describe('version hash', () => {
  it('is exactly the content hash of the joined parts (archives store it: it must never change)', async () => {
    const { contentHash, versionHash } = await import('../../main/core/archive/import/normalize.ts');
    const samples: unknown[][] = [
      ['regular', 'hello', null, false, null, null, ''],
      ['deleted', 'Grüße 😀 \u0001 inside', '2024-01-01T00:00:00Z', true, 'parent-1', '2024-01-02T00:00:00Z', 'image\u0002t\u0002u\u0002x\u0003'],
      ['', '', '', false, '', '', ''],
      [undefined, 0, 1.5, true],
    ];
    for (const parts of samples) expect(versionHash(parts)).toBe(contentHash(parts.map((p) => `${p}`).join('\u0001')));
    // A value computed by the first release (template string over the same fields): unchanged.
    expect(versionHash(['regular', 'hello', null, false, null, null, ''])).toBe(contentHash('regular\u0001hello\u0001null\u0001false\u0001null\u0001null\u0001'));
    // Values archives already hold (computed by the fifth session's code): pinned as numbers.
    expect(contentHash('hello')).toBe(1400721085797989);
    expect(versionHash(samples[0])).toBe(1607434373972522);
    expect(versionHash(samples[1])).toBe(1945853557434283);
  });
});

describe('timestamps (RFC 3339 → microseconds)', () => {
  it('agrees with Date.parse at every precision, across days, months, years, leap days and zones', async () => {
    const { toMicros } = await import('../../main/core/archive/import/normalize.ts');
    /** Reference: Date.parse of the second (zone kept) plus the first six fraction digits. */
    const ref = (s: string) => {
      const m = /^(.{19})(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(s)!;
      return Date.parse(m[1] + (m[3] === 'Z' ? 'Z' : m[3].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2'))) * 1000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
    };
    const cases: string[] = [];
    // Day by day through a leap year's end and a month's end, then back in time (the day cache
    // must follow jumps both ways), at every fraction length Go writes.
    for (const day of ['2024-02-28', '2024-02-29', '2024-03-01', '2023-12-31', '2024-01-01', '1999-12-31', '2024-02-29']) {
      for (const t of ['00:00:00', '12:34:56', '23:59:59']) {
        for (const frac of ['', '.1', '.12345', '.123456', '.123456789']) cases.push(`${day}T${t}${frac}Z`);
      }
    }
    cases.push('2024-03-01T10:00:00+02:00', '2024-03-01T10:00:00.5-0530');
    for (const s of cases) expect(toMicros(s), s).toBe(ref(s));
    // A leap second (which Date.parse refuses) is the next second, not an invalid timestamp.
    expect(toMicros('2016-12-31T23:59:60.25Z')).toBe(Date.parse('2017-01-01T00:00:00Z') * 1000 + 250_000);
    // Impossible days take the strict path (Date.parse decides), never a rolled-over date.
    expect(toMicros('2023-02-29T10:00:00Z')).toBe(Number.isNaN(Date.parse('2023-02-29T10:00:00Z')) ? NaN : Date.parse('2023-02-29T10:00:00Z') * 1000);
    expect(toMicros('2024-02-31T10:00:00Z')).toBe(Number.isNaN(Date.parse('2024-02-31T10:00:00Z')) ? NaN : Date.parse('2024-02-31T10:00:00Z') * 1000);
    expect(toMicros('2024-03-01T10:00:00Z')).toBe(Date.parse('2024-03-01T10:00:00Z') * 1000);
    expect(toMicros('not a date')).toBeNaN();
  });
});
