import type { Classified } from './classify.ts';
import type { EntitySink } from './read-lines.ts';
import {
  FLAG, emptyBatch, type AttachmentRec, type Batch, type ReactionRec, type UserRec,
} from './records.ts';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : v == null ? null : String(v));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Lines decoded as latin1 (see read-lines.ts): decoding a line with multi-byte characters to a
 * JavaScript string costs ≈ 2 µs (a two-byte string, and JSON.parse is slower on those too);
 * as latin1 it costs ≈ 0.2 µs, and every UTF-8 byte becomes one character. The structure of the
 * JSON is ASCII, so the parse is the same; only the strings the archive keeps are turned back
 * into what UTF-8 decoding gives (`fixText`), and few of them have non-ASCII characters at all.
 * A `\u` escape of a character ≥ U+0080 would be indistinguishable from a decoded byte: such a
 * line is done again from UTF-8 (REDO). So is a line that is rejected (its excerpt and reason).
 */
export const REDO_AS_UTF8 = Symbol('redo the line decoded as UTF-8');
export const NON_ASCII = /[^\x00-\x7f]/;
/** A `\u` escape that is not of an ASCII character (or a `\\u`, which errs on the safe side). */
const WIDE_ESCAPE = /\\u(?!00[0-7])/;
/** The user fields that decide whether a user is emitted again. */
interface UserKey { updated_at: unknown; name: unknown; role: unknown; deleted_at: unknown; deactivated_at: unknown; banned: unknown }
function userKey(u: Obj, form: (s: string) => string): UserKey {
  const f = (v: unknown) => (typeof v === 'string' ? form(v) : v);
  return {
    updated_at: f(u.updated_at), name: f(u.name), role: f(u.role), deleted_at: f(u.deleted_at), deactivated_at: f(u.deactivated_at),
    banned: u.banned,
  };
}
/** What a latin1-decoded line would hold for this text (its UTF-8 bytes, one character each). */
const utf8ToLatin1 = (s: string) => (NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);

let scratch = Buffer.allocUnsafe(4096);
function latin1ToUtf8(s: string): string {
  if (s.length > scratch.length) scratch = Buffer.allocUnsafe(s.length * 2);
  const n = scratch.write(s, 0, 'latin1');
  return scratch.toString('utf8', 0, n);
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/;

const d2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** RFC 3339 (any number of fraction digits, Go style) → microseconds since the epoch. */
export function toMicros(s: string): number {
  // Fast path for what Stream writes (UTC, `Z`): once per message, so no regex, no Date.parse.
  const n = s.length;
  if (n >= 20 && s.charCodeAt(n - 1) === 90 /* Z */ && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 84
    && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58 && (n === 20 || s.charCodeAt(19) === 46)) {
    let frac = 0;
    let digits = 0;
    let ok = true;
    for (let i = 20; i < n - 1; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) {
        ok = false;
        break;
      }
      if (digits < 6) {
        frac = frac * 10 + c;
        digits++;
      }
    }
    const y = d2(s, 0) * 100 + d2(s, 2), mo = d2(s, 5), d = d2(s, 8), h = d2(s, 11), mi = d2(s, 14), se = d2(s, 17);
    if (ok && (n === 20 || n > 21) && y >= 1000 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 60) {
      while (digits < 6) {
        frac *= 10;
        digits++;
      }
      // Messages come day by day: the start of the last day seen is reused (Date.UTC and the
      // check below cost more than the rest of this function).
      const day = (y * 100 + mo) * 100 + d;
      if (day !== lastDay) {
        const ms = Date.UTC(y, mo - 1, d);
        // Date.UTC rolls invalid days over (Feb 31 → Mar 3): such input takes the strict path.
        if (new Date(ms).getUTCDate() !== d) return strictMicros(s);
        lastDay = day;
        lastDayMs = ms;
      }
      return (lastDayMs + ((h * 60 + mi) * 60 + se) * 1000) * 1000 + frac;
    }
  }
  return strictMicros(s);
}

let lastDay = -1;
let lastDayMs = 0;

function strictMicros(s: string): number {
  const m = TS.exec(s);
  if (!m) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? NaN : ms * 1000;
  }
  const secs = Date.parse(m[1] + (m[3] && m[3] !== 'Z' ? m[3] : 'Z'));
  const frac = m[2] ? Number((m[2] + '000000').slice(0, 6)) : 0;
  return secs * 1000 + frac;
}

/**
 * The strings hashed here come in many internal representations (latin1 slices, UTF-8 decoded
 * two-byte strings, literals, concatenations): `s.charCodeAt` and `s.length` inside the loop were
 * megamorphic property lookups, once per character (≈ 15 % of the parse). The method is called
 * through a known function and the length read once per part.
 */
const charCodeAt = String.prototype.charCodeAt;
/** FNV-1a over a string, 52 bits (two 32-bit lanes): identity of a message's content version. */
export function contentHash(s: string): number {
  let h1 = 0x811c9dc5, h2 = 0x050c5d1f;
  for (let i = 0, n = s.length; i < n; i++) {
    const c = charCodeAt.call(s, i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h2 >>> 13);
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

/**
 * contentHash of the parts joined by U+0001 (`${part}` each), without building that string
 * (once per message). Stored in archives: it must stay exactly contentHash(parts.join('\u0001')).
 */
export function versionHash(parts: unknown[]): number {
  let h1 = 0x811c9dc5, h2 = 0x050c5d1f;
  for (let p = 0; p < parts.length; p++) {
    if (p > 0) {
      h1 = Math.imul(h1 ^ 1, 0x01000193);
      h2 = Math.imul(h2 ^ 1, 0x01000193) ^ (h2 >>> 13);
    }
    const v = parts[p];
    const s = typeof v === 'string' ? v : `${v}`;
    for (let i = 0, n = s.length; i < n; i++) {
      const c = charCodeAt.call(s, i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h2 >>> 13);
    }
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

const NO_ATTACHMENTS = { recs: null, text: null, sig: '' };

/** `fx`: the field as the archive keeps it (see Normalizer.fx). */
function attachmentRecs(list: unknown, fx: (v: unknown) => string | null): { recs: AttachmentRec[] | null; text: string | null; sig: string } {
  if (!Array.isArray(list) || list.length === 0) return NO_ATTACHMENTS;
  const recs: AttachmentRec[] = [];
  const words: string[] = [];
  let sig = '';
  for (const a of list) {
    if (!isObj(a)) continue;
    const title = fx(a.title) ?? fx(a.name) ?? fx(a.fallback);
    const url = fx(a.asset_url) ?? fx(a.image_url) ?? fx(a.title_link) ?? fx(a.og_scrape_url) ?? fx(a.thumb_url);
    const type = fx(a.type);
    recs.push({ type, title, url, mime_type: fx(a.mime_type), file_size: num(a.file_size) });
    for (const w of [a.title, a.fallback, a.text, a.pretext, a.name]) if (typeof w === 'string' && w) words.push(fx(w)!);
    sig += `${type}\u0002${title}\u0002${url}\u0002${fx(a.text)}\u0003`;
  }
  return { recs: recs.length ? recs : null, text: words.length ? words.join(' ') : null, sig };
}

/**
 * Turns classified export entities into flat records, batching them for the writer. Users
 * embedded in messages/members/reactions are emitted once per change, not once per message.
 * Member and read lines without a cid belong to the channel line before them (v2 layout).
 */
export class Normalizer implements EntitySink {
  batch: Batch = emptyBatch();
  size = 0;
  counts = { lines: 0, bytes: 0 };
  /**
   * The fields of each user as last emitted (a user is emitted again only when one changes), in
   * both forms: as UTF-8 text and as parsed from a latin1-decoded line (compared in the form of
   * the line at hand, without converting anything per message).
   */
  private userSeen = new Map<string, { utf8: UserKey; latin1: UserKey }>();
  /** The latin1-decoded line being normalized, or null (strings are what UTF-8 decoding gives). */
  private latin1: string | null = null;
  private wideEscapes: boolean | null = null;
  /**
   * Hand a batch over as soon as it has this many records (`onFull`, synchronous): records that
   * die young cost the garbage collector almost nothing; held for a whole read chunk, they are
   * promoted and collected by full, concurrent collections.
   */
  flushAt = Infinity;
  onFull?: () => void;
  private currentCid: string | undefined;
  private readonly onDrain: (bytes: number, lines: number) => Promise<void> | void;

  constructor(onDrain: (bytes: number, lines: number) => Promise<void> | void) {
    this.onDrain = onDrain;
  }

  drain(bytes: number, lines: number) {
    this.counts.bytes = bytes;
    this.counts.lines = lines;
    return this.onDrain(bytes, lines);
  }

  /** Entities handed over without their line's text: a rejection is redone from UTF-8 text. */
  private noText = false;
  setNoText(on: boolean) {
    this.noText = on;
  }

  /** The next entities come from this latin1-decoded line (null: from UTF-8 text). */
  setLatin1(raw: string | null) {
    this.latin1 = raw;
    this.wideEscapes = null;
  }

  /** A string as UTF-8 decoding would have given it (throws REDO_AS_UTF8 when it cannot tell). */
  private fixText(s: string): string {
    if (this.latin1 === null || !NON_ASCII.test(s)) return s;
    this.wideEscapes ??= WIDE_ESCAPE.test(this.latin1);
    if (this.wideEscapes) throw REDO_AS_UTF8;
    return latin1ToUtf8(s);
  }

  /** `str` for a field the archive keeps. */
  private fx(v: unknown): string | null {
    return typeof v === 'string' ? (this.latin1 === null ? v : this.fixText(v)) : str(v);
  }

  private readonly fxField = (v: unknown) => this.fx(v);

  take(): Batch {
    const b = this.batch;
    b.lines = this.counts.lines;
    b.bytes = this.counts.bytes;
    this.batch = emptyBatch();
    this.size = 0;
    return b;
  }

  reject(line: number, offset: number, reason: string, excerpt: string) {
    if (this.latin1 !== null || this.noText) throw REDO_AS_UTF8; // reason and excerpt as UTF-8 text
    this.batch.rejects.push({ line, offset, reason, excerpt });
    this.size++;
  }

  private user(u: unknown, raw?: string): string | null {
    if (!isObj(u)) return typeof u === 'string' ? this.fixText(u) : null;
    const id = this.fx(u.id);
    if (!id) return null;
    const entry = this.userSeen.get(id);
    const seen = entry && (this.latin1 === null ? entry.utf8 : entry.latin1);
    if (!seen || seen.updated_at !== u.updated_at || seen.name !== u.name || seen.role !== u.role || seen.deleted_at !== u.deleted_at
      || seen.deactivated_at !== u.deactivated_at || seen.banned !== u.banned) {
      // Everything is computed before anything is recorded: fixText may throw REDO_AS_UTF8.
      const rec: UserRec = {
        id, name: this.fx(u.name), role: this.fx(u.role), deleted_at: this.fx(u.deleted_at), updated_at: this.fx(u.updated_at),
        raw: raw ?? this.fixText(JSON.stringify(u)),
      };
      const key = userKey(u, (v) => v);
      this.userSeen.set(id, this.latin1 === null
        ? { utf8: key, latin1: userKey(u, utf8ToLatin1) }
        : { utf8: userKey(u, (v) => this.fixText(v)), latin1: key });
      this.batch.users.push(rec);
      this.size++;
    }
    return id;
  }

  /** `messageId`: the message a reaction embedded in it belongs to, when it does not say. */
  private reaction(r: Obj, raw: string | null, off = -1, len = -1, messageId?: string): ReactionRec | null {
    const user_id = this.fx(r.user_id) ?? (isObj(r.user) ? this.fx(r.user.id) : null);
    const message_id = messageId === undefined || r.message_id ? this.fx(r.message_id) : messageId;
    const type = this.fx(r.type);
    if (!user_id || !message_id || !type) return null;
    const created_at = this.fx(r.created_at);
    const updated_at = this.fx(r.updated_at);
    const ownRaw = off >= 0 || raw === null ? null : this.fixText(raw);
    if (isObj(r.user)) this.user(r.user);
    return { message_id, user_id, type, score: num(r.score), created_at, updated_at, raw: ownRaw, raw_off: off, raw_len: len };
  }

  /** Line shapes met in this file (envelope / wrapper / bare). */
  readonly shapes = new Set<string>();

  entity(c: Classified, raw: string, line: number, ctxCid: string | undefined, off: number, len: number) {
    if (this.size >= this.flushAt) this.onFull?.();
    const o = c.o;
    this.shapes.add(c.shape);
    const b = this.batch;
    this.size++;
    switch (c.kind) {
      case 'message': {
        const id = this.fx(o.id);
        const created_at = this.fx(o.created_at);
        const created_us = created_at ? toMicros(created_at) : NaN;
        const cid = this.fx(o.cid) ?? ctxCid ?? (o.channel && isObj(o.channel) ? this.fx(o.channel.cid) : null);
        if (!id || !cid || !created_at || Number.isNaN(created_us)) {
          this.reject(line, 0, `message without ${!id ? 'id' : !cid ? 'cid' : 'valid created_at'}`, raw.slice(0, 200));
          return;
        }
        const type = this.fx(o.type) ?? 'regular';
        const text = typeof o.text === 'string' ? this.fx(o.text)! : '';
        const deleted_at = this.fx(o.deleted_at);
        const att = attachmentRecs(o.attachments, this.fxField);
        const parent_id = this.fx(o.parent_id);
        const updated_at = this.fx(o.updated_at);
        const textUpdatedAt = this.fx(o.message_text_updated_at);
        const ownRaw = off >= 0 ? null : this.fixText(raw);
        const user_id = this.user(o.user) ?? this.fx(o.user_id);
        const edited = o.message_text_updated_at != null;
        let flags = 0;
        if (att.recs) flags |= FLAG.attachment;
        const rc = o.reaction_counts;
        const latest = Array.isArray(o.latest_reactions) ? o.latest_reactions : null;
        if ((isObj(rc) && Object.keys(rc).length > 0) || (latest && latest.length > 0)) flags |= FLAG.reaction;
        if (parent_id) flags |= FLAG.reply;
        if (type === 'deleted' || deleted_at) flags |= FLAG.deleted;
        if (edited) flags |= FLAG.edited;
        if (o.pinned === true) flags |= FLAG.pinned;
        if (type === 'system') flags |= FLAG.system;
        let reactions: ReactionRec[] | null = null;
        if (latest && latest.length) {
          reactions = [];
          for (const r of latest) {
            if (!isObj(r)) continue;
            const rec = this.reaction(r, null, -1, -1, id);
            if (rec) reactions.push(rec);
          }
        }
        const hash = versionHash([type, text, deleted_at, o.pinned === true, parent_id, textUpdatedAt, att.sig]);
        b.messages.push({
          id, cid, user_id, parent_id, type, text, att_text: att.text, created_at, created_us,
          updated_at, deleted_at, flags, reply_count: num(o.reply_count) ?? 0,
          show_in_channel: o.show_in_channel === true ? 1 : 0, hash, raw: ownRaw, raw_off: off, raw_len: len,
          attachments: att.recs, reactions,
        });
        return;
      }
      case 'user':
        this.user(o, raw);
        return;
      case 'channel': {
        const type = str(o.type);
        const id = str(o.id);
        const cid = str(o.cid) ?? (type && id ? `${type}:${id}` : null);
        if (!cid) {
          this.reject(line, 0, 'channel without cid', raw.slice(0, 200));
          return;
        }
        this.currentCid = cid;
        if (isObj(o.created_by)) this.user(o.created_by);
        const [t, ...rest] = cid.split(':');
        b.channels.push({
          cid, type: type ?? t, id: id ?? rest.join(':'), name: str(o.name), created_at: str(o.created_at),
          updated_at: str(o.updated_at), deleted_at: str(o.deleted_at), truncated_at: str(o.truncated_at),
          member_count: num(o.member_count), raw,
        });
        return;
      }
      case 'member': {
        const cid = str(o.cid) ?? str(o.channel_cid) ?? ctxCid ?? this.currentCid;
        const user_id = (isObj(o.user) ? this.user(o.user) : null) ?? str(o.user_id);
        if (!cid || !user_id) {
          this.reject(line, 0, !cid ? 'member line before any channel line (no cid)' : 'member without user', raw.slice(0, 200));
          return;
        }
        b.members.push({
          cid, user_id, role: str(o.role), channel_role: str(o.channel_role), created_at: str(o.created_at),
          updated_at: str(o.updated_at), deleted_at: str(o.deleted_at), raw,
        });
        return;
      }
      case 'reaction': {
        const rec = this.reaction(o, raw, off, len);
        if (rec) b.reactions.push(rec);
        else this.reject(line, 0, 'reaction without message_id, user or type', raw.slice(0, 200));
        return;
      }
      case 'read': {
        const cid = str(o.cid) ?? str(o.channel_cid) ?? ctxCid ?? this.currentCid;
        const user_id = (isObj(o.user) ? this.user(o.user) : null) ?? str(o.user_id);
        if (!cid || !user_id) {
          this.reject(line, 0, 'read state without channel or user', raw.slice(0, 200));
          return;
        }
        b.reads.push({
          cid, user_id, last_read: str(o.last_read), unread_messages: num(o.unread_messages),
          last_read_message_id: str(o.last_read_message_id), raw,
        });
        return;
      }
      default:
        b.others.push({ line, kind: c.name ?? 'unknown', raw });
    }
  }
}
