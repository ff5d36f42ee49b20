import { describe, expect, it } from 'vitest';
import { readLines, type EntitySink } from '../../main/core/archive/import/read-lines.ts';
import { Normalizer } from '../../main/core/archive/import/normalize.ts';
import type { Batch } from '../../main/core/archive/import/records.ts';
import { channel, member, message, reaction, user } from './helpers/fixtures.ts';

/**
 * Message and reaction lines are decoded as latin1 (cheaper than UTF-8) and only the strings the
 * archive keeps are turned back into UTF-8 text. Whatever the bytes, the records must be exactly
 * those of decoding every line as UTF-8.
 */

type Out = Omit<Batch, 'lines' | 'bytes'>;

async function normalize(bytes: Buffer, latin1: boolean): Promise<Out> {
  const out: Out = { users: [], channels: [], members: [], messages: [], reactions: [], reads: [], others: [], rejects: [] };
  const n = new Normalizer(() => undefined);
  n.flushAt = 3; // many small batches, as in an import
  n.onFull = () => {
    const b = n.take();
    for (const k of Object.keys(out) as (keyof Out)[]) (out[k] as unknown[]).push(...b[k]);
  };
  // Without setLatin1 the reader decodes every line as UTF-8 (the reference).
  const sink: EntitySink = latin1 ? n : { entity: n.entity.bind(n), reject: n.reject.bind(n), drain: n.drain.bind(n) };
  // Small chunks: lines cross chunk boundaries, as in a real file.
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += 97) yield bytes.subarray(i, i + 97);
  }
  await readLines(chunks(), sink);
  n.onFull();
  return out;
}

const line = (o: unknown) => Buffer.from(JSON.stringify(o) + '\n');
/** A line from a JSON template whose `@` is replaced by raw bytes (invalid UTF-8 included). */
const rawLine = (template: string, bytes: number[]) => {
  const [a, b] = template.split('@');
  return Buffer.concat([Buffer.from(a), Buffer.from(bytes), Buffer.from(b), Buffer.from('\n')]);
};

describe('lines decoded as latin1', () => {
  const zoe = user('zoe', 'Zoë Ångström');
  const ahmed = user('ahmed', 'أحمد الأحمد');
  const ascii = user('plain', 'Plain Name');
  const cid = 'messaging:équipe';
  const msg = (id: string, text: string, u = zoe, extra: Record<string, unknown> = {}) =>
    line({ type: 'message', data: message(id, cid, u, '2024-05-01T10:00:00.123456Z', text, extra) });

  const file = Buffer.concat([
    line({ type: 'user', data: ahmed }),
    line({ type: 'channel', data: channel(cid, 'Équipe 日本') }),
    line({ type: 'member', data: member(zoe) }),
    line({ type: 'member', data: member(ascii) }),
    msg('m1', 'Grüße, 世界! שלום 😀👍🏽'),
    msg('m2', 'plain ascii <b>&amp;</b>', ascii),
    msg('m3', 'reply café', ahmed, {
      parent_id: 'm1',
      attachments: [{ type: 'file', title: 'Überblick.pdf', asset_url: 'https://x.test/ü.pdf', mime_type: 'application/pdf', file_size: 12, text: 'Zusammenfassung' }],
      latest_reactions: [reaction('m3', zoe, '❤️', '2024-05-01T10:01:00Z'), { user: ahmed, type: 'tada', created_at: '2024-05-01T10:02:00Z' }],
      reaction_counts: { '❤️': 1, tada: 1 }, message_text_updated_at: '2024-05-01T11:00:00Z', pinned: true,
    }),
    // The user changes their name, then shows up again in a member line (decoded as UTF-8).
    msg('m4', 'renamed', { ...zoe, name: 'Zoë Å. Berg', updated_at: '2024-06-01T00:00:00Z' }),
    line({ type: 'member', data: member({ ...zoe, name: 'Zoë Å. Berg', updated_at: '2024-06-01T00:00:00Z' }) }),
    line({ type: 'reaction', data: reaction('m2', ahmed, 'مرحبا', '2024-05-01T10:03:00Z') }),
    // Escapes: Go-style ASCII ones with raw UTF-8 (decoded as latin1 and fixed) ...
    Buffer.from('{"type":"message","data":{"id":"m5","cid":"messaging:équipe","text":"a \\u003c b — ü","type":"regular","created_at":"2024-05-01T10:05:00Z","user":{"id":"zoe"}}}\n'),
    // ... a non-ASCII escape in an otherwise ASCII line ...
    Buffer.from('{"type":"message","data":{"id":"m6","cid":"c:1","text":"caf\\u00e9 \\u2028 \\ud83d\\ude00","type":"regular","created_at":"2024-05-01T10:06:00Z","user":"plain"}}\n'),
    // ... and mixed with raw UTF-8 bytes in the same line (done again as UTF-8).
    Buffer.from('{"type":"message","data":{"id":"m7","cid":"c:1","text":"café vs caf\\u00e9 \\ud83d\\ude00 😀","type":"regular","created_at":"2024-05-01T10:07:00Z","user":{"id":"ahmed","name":"أحمد"}}}\n'),
    Buffer.from('{"type":"message","data":{"id":"m8","cid":"c:1","text":"a literal \\\\u00e9 and é","type":"regular","created_at":"2024-05-01T10:08:00Z"}}\n'),
    Buffer.from('{"type":"message","data":{"id":"m9","cid":"c:1","text":"line sep \u2028 para \u2029 nbsp \u00a0 c1 \u0085","type":"regular","created_at":"2024-05-01T10:09:00Z"}}\n'),
    // Invalid UTF-8 inside strings: each becomes U+FFFD, as UTF-8 decoding does.
    rawLine('{"type":"message","data":{"id":"m10","cid":"c:1","text":"bad @ end","type":"regular","created_at":"2024-05-01T10:10:00Z"}}', [0xff, 0x80, 0xc0, 0x80, 0xe2, 0x82]),
    rawLine('{"type":"message","data":{"id":"m11","cid":"c:1","text":"cut @","type":"regular","created_at":"2024-05-01T10:11:00Z"}}', [0xc3]),
    rawLine('{"type":"message","data":{"id":"m12","cid":"c:1","text":"surrogate @","type":"regular","created_at":"2024-05-01T10:12:00Z"}}', [0xed, 0xa0, 0x80]),
    // Unknown fields with non-ASCII keys and values are kept in the evidence, not here.
    msg('m13', 'custom', zoe, { 'año': 'día', 'ключ': { 'значение': [1, 'два'] } }),
    // Rejections: reason and excerpt as UTF-8 text.
    Buffer.from('{"type":"message","data":{"id":"m14","text":"ü ohne cid"}}\n'),
    Buffer.from('{"type":"message","data":{"cid":"c:1","text":"日本 no id","created_at":"2024-05-01T10:14:00Z"}}\n'),
    Buffer.from('{"type":"message","data":{"id":"m15","text":"ü broken JSON" ,,}}\n'),
    Buffer.from('{"weird":"ünrecognised", "x": 1}\n'),
    Buffer.from('{"type":"reaction","data":{"message_id":"m1","type":"ü"}}\n'),
    Buffer.from('{"type":"message","data":{"id":"m16","text":"trunc ü'),
  ]);

  it('gives exactly the records of UTF-8 decoding, rejections included', async () => {
    const viaLatin1 = await normalize(file, true);
    const viaUtf8 = await normalize(file, false);
    expect(viaLatin1).toEqual(viaUtf8);
    // And those are right: a few spot checks against the source text.
    const byId = new Map(viaLatin1.messages.map((m) => [m.id, m]));
    expect(byId.get('m1')!.text).toBe('Grüße, 世界! שלום 😀👍🏽');
    expect(byId.get('m1')!.cid).toBe(cid);
    expect(byId.get('m3')!.attachments).toEqual([{ type: 'file', title: 'Überblick.pdf', url: 'https://x.test/ü.pdf', mime_type: 'application/pdf', file_size: 12 }]);
    expect(byId.get('m3')!.att_text).toBe('Überblick.pdf Zusammenfassung');
    expect(byId.get('m3')!.reactions!.map((r) => [r.message_id, r.user_id, r.type])).toEqual([['m3', 'zoe', '❤️'], ['m3', 'ahmed', 'tada']]);
    expect(byId.get('m5')!.text).toBe('a < b — ü');
    expect(byId.get('m6')!.text).toBe('café \u2028 😀');
    expect(byId.get('m7')!.text).toBe('café vs café 😀 😀');
    expect(byId.get('m8')!.text).toBe('a literal \\u00e9 and é');
    expect(byId.get('m10')!.text).toContain('\ufffd');
    expect(viaLatin1.reactions.map((r) => r.type)).toEqual(['مرحبا']);
    // Users: emitted once per change, whichever decoding their line took (m5 carries a bare
    // {id}, m13 the full user again).
    expect(viaLatin1.users.map((u) => [u.id, u.name])).toEqual([
      ['ahmed', 'أحمد الأحمد'], ['zoe', 'Zoë Ångström'], ['plain', 'Plain Name'], ['zoe', 'Zoë Å. Berg'], ['zoe', null],
      ['ahmed', 'أحمد'], ['zoe', 'Zoë Ångström'],
    ]);
    expect(JSON.parse(viaLatin1.users.find((u) => u.name === 'Zoë Å. Berg')!.raw).name).toBe('Zoë Å. Berg');
    expect(viaLatin1.channels[0].name).toBe('Équipe 日本');
    expect(viaLatin1.rejects.map((r) => r.reason)).toEqual([
      'message without cid', 'message without id', expect.stringMatching(/^malformed JSON: /),
      'not a Stream entity (unrecognised JSON object)', 'reaction without message_id, user or type',
      expect.stringMatching(/^truncated last line/),
    ]);
    expect(viaLatin1.rejects.map((r) => r.excerpt).join('\n')).toContain('日本 no id');
  });

  it('agrees with UTF-8 decoding on every non-ASCII character class, line by line', async () => {
    // One line per sample: 2-, 3- and 4-byte characters, combining marks, every byte in 0x80–0xFF.
    const samples = ['é', 'ß', 'Ω', 'ж', 'א', 'ع', '中', '한', '€', '\u200d', 'e\u0301', '🎉', '👩‍👩‍👧', '\u{10ffff}',
      String.fromCharCode(...Array.from({ length: 128 }, (_, i) => 0x80 + i))];
    const lines = Buffer.concat(samples.flatMap((t, i) => [
      msg(`s${i}`, `x ${t} y`, { ...ascii, name: `n${t}` }),
      line({ type: 'reaction', data: reaction(`s${i}`, ascii, t, '2024-05-01T10:00:00Z') }),
    ]));
    const a = await normalize(lines, true);
    expect(a).toEqual(await normalize(lines, false));
    expect(a.messages.map((m) => m.text)).toEqual(samples.map((t) => `x ${t} y`));
  });
});
