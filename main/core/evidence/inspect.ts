/**
 * Reads a downloaded export file once, streaming, to prove it is whole (it parses to the very
 * end) and to count what it holds per channel and per user, for the completeness report.
 * Format is detected from content (gzip magic, `[` for v1, lines otherwise) like the importer.
 * This is deliberately independent from the importer: two readers agreeing is the check.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface TargetCounts {
  /** Distinct message ids. */
  messages: number;
}

export interface FileInspection {
  ok: boolean;
  /** Why the file is not usable (truncated, not JSON…). */
  error: string | null;
  truncated: boolean;
  format: 'v1' | 'v2' | 'empty' | 'unknown';
  gzip: boolean;
  bytes: number;
  /** Entities/lines seen (v2 lines, v1 channel elements). */
  entries: number;
  /** Lines that were not JSON (v2 only; the importer reports them too). */
  bad_lines: number;
  /** cid → distinct messages (a channel entity alone counts as present with 0). */
  channels: Map<string, TargetCounts>;
  /** user id → distinct messages authored. Users seen as entities are present with 0. */
  users: Map<string, TargetCounts>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const WRAPPER_KEYS = new Set(['channel', 'message', 'member', 'reaction', 'user', 'read', 'call']);

class Counter {
  channels = new Map<string, Set<string>>();
  users = new Map<string, Set<string>>();
  channel(cid: unknown) {
    if (typeof cid === 'string' && cid && !this.channels.has(cid)) this.channels.set(cid, new Set());
  }
  user(id: unknown) {
    if (typeof id === 'string' && id && !this.users.has(id)) this.users.set(id, new Set());
  }
  message(m: Obj, cidHint?: string) {
    const id = typeof m.id === 'string' ? m.id : null;
    const cid =
      typeof m.cid === 'string'
        ? m.cid
        : typeof m.channel_type === 'string' && typeof m.channel_id === 'string'
          ? `${m.channel_type}:${m.channel_id}`
          : cidHint;
    if (!id) return;
    if (cid) {
      this.channel(cid);
      this.channels.get(cid)!.add(id);
    }
    const uid = isObj(m.user) && typeof m.user.id === 'string' ? m.user.id : typeof m.user_id === 'string' ? m.user_id : null;
    if (uid) {
      this.user(uid);
      this.users.get(uid)!.add(id);
    }
  }
  /** One v2 line, in any of the line shapes (envelope, wrapper, bare). */
  entity(o: Obj) {
    let type: string | null = null;
    let data: Obj = o;
    if (typeof o.type === 'string' && (isObj(o.data) || isObj(o.item))) {
      type = o.type;
      data = (isObj(o.data) ? o.data : o.item) as Obj;
    } else {
      const keys = Object.keys(o);
      if (keys.length === 1 && WRAPPER_KEYS.has(keys[0]) && isObj(o[keys[0]])) {
        type = keys[0];
        data = o[keys[0]] as Obj;
      }
    }
    if (!type) type = classifyBare(o);
    switch (type) {
      case 'channel':
        this.channel(data.cid ?? (typeof data.type === 'string' && typeof data.id === 'string' ? `${data.type}:${data.id}` : null));
        break;
      case 'message':
        this.message(data);
        break;
      case 'user':
        this.user(data.id);
        break;
      case 'member':
      case 'channel_member':
        this.channel(data.cid);
        break;
      default:
        break;
    }
  }
  result(): { channels: Map<string, TargetCounts>; users: Map<string, TargetCounts> } {
    const conv = (m: Map<string, Set<string>>) => new Map([...m].map(([k, v]) => [k, { messages: v.size }]));
    return { channels: conv(this.channels), users: conv(this.users) };
  }
}

function classifyBare(o: Obj): string | null {
  if ('config' in o || ('cid' in o && 'member_count' in o)) return 'channel';
  if ('message_id' in o && 'score' in o) return 'reaction';
  if ('channel_role' in o && 'user_id' in o && !('text' in o)) return 'member';
  if (('html' in o || 'text' in o) && ('cid' in o || 'id' in o)) return 'message';
  if ('last_read' in o) return 'read';
  if ('role' in o && 'id' in o && !('cid' in o)) return 'user';
  return null;
}

async function* bytesOf(file: string, gzip: boolean): AsyncGenerator<Buffer> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const src: Readable = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (e) => src.destroy(e));
  for await (const c of src) yield c as Buffer;
}

async function sniffGzip(file: string): Promise<boolean> {
  for await (const c of createReadStream(file, { start: 0, end: 1 })) {
    const b = c as Buffer;
    return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
  }
  return false;
}

export async function inspectExportFile(file: string): Promise<FileInspection> {
  const gzip = await sniffGzip(file);
  const counter = new Counter();
  const out: FileInspection = {
    ok: false,
    error: null,
    truncated: false,
    format: 'unknown',
    gzip,
    bytes: 0,
    entries: 0,
    bad_lines: 0,
    channels: new Map(),
    users: new Map(),
  };

  // v1 scanner state: split the top-level array into elements and parse each one.
  let mode: 'sniff' | 'v1' | 'v2' = 'sniff';
  let depth = 0;
  let inStr = false;
  let esc = false;
  let v1Closed = false;
  let elem: Buffer[] = [];
  let elemStart = -1;
  // v2 state
  let pending: Buffer[] = [];

  const fail = (msg: string, truncated = false) => {
    out.error = msg;
    out.truncated = truncated;
  };

  const v2Line = (buf: Buffer) => {
    const text = buf.toString('utf8').trim();
    if (!text) return;
    out.entries++;
    try {
      const o = JSON.parse(text);
      if (isObj(o)) counter.entity(o);
      else out.bad_lines++;
    } catch {
      out.bad_lines++;
    }
  };

  const v1Element = (buf: Buffer): boolean => {
    let o: unknown;
    try {
      o = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      fail(`v1 element ${out.entries + 1} is not valid JSON: ${(e as Error).message}`);
      return false;
    }
    out.entries++;
    if (!isObj(o)) return true;
    const ch = isObj(o.channel) ? o.channel : null;
    const cid = ch ? (typeof ch.cid === 'string' ? ch.cid : `${ch.type}:${ch.id}`) : undefined;
    if (cid) counter.channel(cid);
    if (Array.isArray(o.messages)) for (const m of o.messages) if (isObj(m)) counter.message(m, cid);
    if (Array.isArray(o.members)) for (const m of o.members) if (isObj(m) && isObj(m.user)) counter.user(m.user.id);
    return true;
  };

  try {
    outer: for await (const chunk of bytesOf(file, gzip)) {
      out.bytes += chunk.length;
      let i = 0;
      if (mode === 'sniff') {
        while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)) i++;
        if (i === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
        if (i >= chunk.length) continue;
        if (chunk[i] === 0x5b /* [ */) {
          mode = 'v1';
          out.format = 'v1';
        } else if (chunk[i] === 0x7b /* { */) {
          mode = 'v2';
          out.format = 'v2';
        } else {
          fail('not an export file (it does not start with JSON)');
          break;
        }
      }
      if (mode === 'v2') {
        let start = i;
        for (let j = i; j < chunk.length; j++) {
          if (chunk[j] === 0x0a) {
            pending.push(chunk.subarray(start, j));
            v2Line(pending.length === 1 ? pending[0] : Buffer.concat(pending));
            pending = [];
            start = j + 1;
          }
        }
        if (start < chunk.length) pending.push(chunk.subarray(start));
        continue;
      }
      // v1
      for (let j = i; j < chunk.length; j++) {
        const c = chunk[j];
        if (v1Closed) {
          if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
            fail('unexpected data after the end of the v1 document');
            break outer;
          }
          continue;
        }
        if (inStr) {
          if (esc) esc = false;
          else if (c === 0x5c) esc = true;
          else if (c === 0x22) inStr = false;
          continue;
        }
        if (c === 0x22) inStr = true;
        else if (c === 0x7b || c === 0x5b) {
          depth++;
          if (depth === 2) elemStart = j;
        } else if (c === 0x7d || c === 0x5d) {
          depth--;
          if (depth === 1 && elemStart >= 0) {
            elem.push(chunk.subarray(elemStart, j + 1));
            elemStart = -1;
            const ok = v1Element(elem.length === 1 ? elem[0] : Buffer.concat(elem));
            elem = [];
            if (!ok) break outer;
          } else if (depth === 0) v1Closed = true;
          else if (depth < 0) {
            fail('unbalanced brackets in the v1 document');
            break outer;
          }
        }
      }
      if (elemStart >= 0) {
        elem.push(chunk.subarray(elemStart));
        elemStart = 0; // continues at the start of the next chunk
      }
    }
  } catch (err) {
    const msg = (err as Error).message;
    fail(gzip ? `the compressed file is damaged or cut short: ${msg}` : `could not read the file: ${msg}`, gzip);
  }

  if (!out.error) {
    if (mode === 'sniff') {
      out.format = 'empty';
      fail('the file is empty');
    } else if (mode === 'v1' && !v1Closed) {
      fail('the file is cut short: the v1 document does not end', true);
    } else if (mode === 'v2' && pending.length) {
      // A last line without newline is fine if it parses; a cut-off one is truncation.
      const last = Buffer.concat(pending).toString('utf8').trim();
      if (last) {
        try {
          const o = JSON.parse(last);
          out.entries++;
          if (isObj(o)) counter.entity(o);
        } catch {
          fail('the file is cut short: its last line is incomplete JSON', true);
        }
      }
    }
  }
  const r = counter.result();
  out.channels = r.channels;
  out.users = r.users;
  out.ok = out.error === null;
  return out;
}
