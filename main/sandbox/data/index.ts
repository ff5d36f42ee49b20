/**
 * Deterministic generator of a realistic Stream Chat application (users, channels, members,
 * messages with threads/reactions/attachments/edits/deletions, read states).
 *
 * Scale: users, channels and membership plans are small and held in memory; messages are never
 * stored. Each channel's messages are regenerated on demand from (seed, channel index) — slot
 * times are a pure function of the slot index (a monotone, bursty warp of a uniform grid), and the
 * rest comes from a per-channel sequential PRNG — so any channel can be produced alone, lazily,
 * and always identically. See main/sandbox/README.md for the shapes and assumptions.
 */
import { Rng, hash, hashFloat, uuidFrom, hashString } from './prng.ts';
import { formatUs, parseTimeUs, US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, US_PER_SECOND } from './time.ts';
import {
  VOCABULARY, UNICODE_WORDS, FOREIGN_SENTENCES, EMOJI, REACTION_TYPES, NAME_CULTURES, TITLES, DEPARTMENTS,
  TEAM_NAMES, GROUP_TOPICS, LIVESTREAM_TOPICS, FILE_NAMES, IMAGE_NAMES,
} from './words.ts';
import type {
  StreamUser, StreamChannel, StreamMember, StreamMessage, StreamReaction, StreamRead, StreamAttachment,
} from './types.ts';

export type { StreamUser, StreamChannel, StreamMember, StreamMessage, StreamReaction, StreamRead, StreamAttachment } from './types.ts';
export { formatUs, parseTimeUs } from './time.ts';
export { goJson } from './json.ts';

export interface DatasetOptions {
  seed?: number;
  /** Total messages across all channels (replies, system and deleted messages included). */
  messages: number;
  channels?: number;
  users?: number;
  /** RFC3339; default 2024-01-01T00:00:00Z. */
  start?: string;
  /** RFC3339; default 2025-12-31T00:00:00Z (about two years after `start`). */
  end?: string;
}

export interface Dataset {
  users: StreamUser[];
  channels: StreamChannel[];
  members(cid: string): StreamMember[];
  messages(cid: string): Iterable<StreamMessage>;
  reactions(cid: string): Iterable<StreamReaction>;
  reads(cid: string): StreamRead[];
  messageCount(cid: string): number;
}

/** One message together with its reactions (all of them, not only `latest_reactions`). */
export interface MessageEntry {
  message: StreamMessage;
  reactions: StreamReaction[];
}

const DEFAULT_START = '2024-01-01T00:00:00Z';
const DEFAULT_END = '2025-12-31T00:00:00Z';
const WARP_SEGMENTS = 24;
const LATEST_REACTIONS = 10;

type ChannelKind = 'dm' | 'group' | 'team' | 'livestream';

interface MemberEvent {
  slot: number;
  kind: 'add' | 'remove';
  user: number;
  actor: number;
}

interface ChannelPlan {
  index: number;
  kind: ChannelKind;
  cid: string;
  channel: StreamChannel;
  /** Message window (µs). */
  startUs: number;
  endUs: number;
  createdUs: number;
  /** Number of generated messages (excluding ones added later through mutations). */
  n: number;
  warp: Float64Array;
  initial: number[];
  events: MemberEvent[];
  roles: Map<number, 'owner' | 'moderator' | 'member'>;
  joinedUs: Map<number, number>;
  /** Users ever in the channel (members now or earlier). */
  everMembers: number[];
  added: MessageEntry[];
}

interface PendingThread {
  parentId: string;
  replies: { user: number; deleted: boolean; show: boolean }[];
  next: number;
}

// Zipf CDF over the vocabulary (s ≈ 1.05, as in natural language).
const ZIPF_CDF: Float64Array = (() => {
  const cdf = new Float64Array(VOCABULARY.length);
  let sum = 0;
  for (let i = 0; i < VOCABULARY.length; i++) sum += 1 / Math.pow(i + 1, 1.05);
  let acc = 0;
  for (let i = 0; i < VOCABULARY.length; i++) {
    acc += 1 / Math.pow(i + 1, 1.05) / sum;
    cdf[i] = acc;
  }
  return cdf;
})();

function zipfWord(rng: Rng): string {
  const r = rng.next();
  let lo = 0;
  let hi = ZIPF_CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ZIPF_CDF[mid] < r) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
function renderHtml(text: string): string {
  if (!text) return '';
  return `<p>${text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])}</p>\n`;
}

const SPICY = ['Q&A', 'R&D', 'T&Cs', '<draft>', 'x < y', 'a > b', '->', '<3'];

function sentence(rng: Rng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    let w = zipfWord(rng);
    if (i === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
    out.push(w);
    if (i > 2 && i < words - 2 && rng.chance(0.06)) out[out.length - 1] += ',';
  }
  const end = rng.next();
  return out.join(' ') + (end < 0.7 ? '.' : end < 0.9 ? '?' : '!');
}

function makeText(rng: Rng, short: boolean): string {
  if (rng.chance(0.025)) return rng.pick(FOREIGN_SENTENCES);
  const sentences = short ? 1 : 1 + (rng.chance(0.3) ? 1 : 0) + (rng.chance(0.1) ? 1 : 0);
  const parts: string[] = [];
  for (let s = 0; s < sentences; s++) parts.push(sentence(rng, 2 + rng.geometric(short ? 4 : 6)));
  let text = parts.join(' ');
  if (rng.chance(0.05)) {
    const words = text.split(' ');
    words.splice(rng.int(1, words.length), 0, rng.pick(UNICODE_WORDS));
    text = words.join(' ');
  }
  if (rng.chance(0.015)) text += ` ${rng.pick(SPICY)}`;
  if (rng.chance(0.01)) text += ` https://docs.example.com/d/${(rng.u32() >>> 0).toString(36)}`;
  if (rng.chance(0.08)) text += ` ${rng.pick(EMOJI)}`;
  return text;
}

function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function b64From(len: number, ...parts: number[]): string {
  let s = '';
  for (let i = 0; s.length < len; i++) {
    const h = hash(i, ...parts);
    for (let k = 0; k < 5 && s.length < len; k++) s += B64URL[(h >>> (k * 6)) & 63];
  }
  return s;
}

function channelConfig(type: string, createdAt: string): Record<string, unknown> {
  const live = type === 'livestream';
  return {
    created_at: createdAt,
    updated_at: createdAt,
    name: type,
    typing_events: !live,
    read_events: !live,
    connect_events: true,
    search: true,
    reactions: true,
    replies: true,
    quotes: true,
    mutes: true,
    uploads: true,
    url_enrichment: true,
    custom_events: true,
    push_notifications: !live,
    reminders: false,
    mark_messages_pending: false,
    polls: false,
    skip_last_msg_update_for_system_msgs: false,
    message_retention: 'infinite',
    max_message_length: 5000,
    automod: 'disabled',
    automod_behavior: 'flag',
    commands: ['giphy'],
  };
}

/** The generator plus the mutations the sandbox applies while running (incremental backups). */
export class GeneratedDataset implements Dataset {
  readonly seed: number;
  readonly startUs: number;
  readonly endUs: number;
  readonly users: StreamUser[] = [];
  readonly channels: StreamChannel[] = [];
  private plans: ChannelPlan[] = [];
  private byCid = new Map<string, ChannelPlan>();
  private userIndex = new Map<string, number>();
  private userChannelIdx = new Map<number, number[]>();
  private patches = new Map<string, Partial<StreamMessage>>();
  private mutationCounter = 0;
  private channelTarget = 0;

  constructor(opts: DatasetOptions) {
    if (!Number.isInteger(opts.messages) || opts.messages < 0) throw new Error('messages must be a non-negative integer');
    this.seed = (opts.seed ?? 1) >>> 0;
    this.startUs = parseTimeUs(opts.start ?? DEFAULT_START);
    this.endUs = parseTimeUs(opts.end ?? DEFAULT_END);
    if (!(this.endUs > this.startUs)) throw new Error('end must be after start');
    const userCount = Math.max(4, opts.users ?? Math.min(5000, Math.max(12, Math.ceil(Math.sqrt(opts.messages) * 1.5))));
    const channelCount = Math.max(1, opts.channels ?? Math.min(3000, Math.max(6, Math.ceil(opts.messages / 1000))));
    this.channelTarget = channelCount;
    this.makeUsers(userCount);
    this.makeChannels(channelCount, opts.messages);
  }

  // ---- users -------------------------------------------------------------------------------

  private makeUsers(count: number): void {
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const rng = new Rng(this.seed, 7, i);
      const culture = rng.chance(0.35) ? NAME_CULTURES[0] : rng.pick(NAME_CULTURES);
      const [first, rFirst] = rng.pick(culture.first);
      const [last, rLast] = rng.pick(culture.last);
      const name = culture.familyFirst ? `${last}${culture.joiner ?? ' '}${first}` : `${first} ${last}`;
      let id = `${rFirst}.${rLast}`.replace(/[^a-z0-9._-]/g, '');
      if (seen.has(id)) id = `${id}${i}`;
      seen.add(id);
      const createdUs = this.startUs - Math.floor(rng.next() * 400 * US_PER_DAY);
      const updatedUs = createdUs + Math.floor(rng.next() * 30 * US_PER_DAY);
      const lastActiveUs = this.endUs - Math.floor(rng.next() * rng.next() * 60 * US_PER_DAY);
      const user: StreamUser = {
        id,
        role: i === 0 || rng.chance(0.03) ? 'admin' : 'user',
        created_at: formatUs(createdUs),
        updated_at: formatUs(updatedUs),
        last_active: formatUs(lastActiveUs, rng.int(0, 999)),
        banned: false,
        online: false,
        name,
        image: `https://cdn.example.com/avatars/${id}.jpg`,
      };
      if (rng.chance(0.75)) user.title = rng.pick(TITLES);
      if (rng.chance(0.4)) user.department = rng.pick(DEPARTMENTS);
      if (rng.chance(0.2)) user.language = rng.pick(['en', 'fr', 'de', 'ja', 'zh', 'ar', 'he', 'es']);
      if (rng.chance(0.05)) user.banned = true;
      this.users.push(user);
      this.userIndex.set(id, i);
    }
  }

  userById(id: string): StreamUser | undefined {
    const i = this.userIndex.get(id);
    return i === undefined ? undefined : this.users[i];
  }

  // ---- channels ----------------------------------------------------------------------------

  private makeChannels(count: number, totalMessages: number): void {
    const kinds: ChannelKind[] = [];
    const weights: number[] = [];
    for (let c = 0; c < count; c++) {
      const r = hashFloat(this.seed, 11, c);
      const kind: ChannelKind =
        c < 4 ? (['team', 'group', 'dm', 'livestream'] as const)[c] : c < 6 && count >= 8 ? 'group' : r < 0.35 ? 'dm' : r < 0.7 ? 'group' : r < 0.9 ? 'team' : 'livestream';
      kinds.push(kind);
      const base = kind === 'dm' ? 0.3 : kind === 'group' ? 1 : kind === 'team' ? 2 : 2.5;
      // Heavy-tailed activity: a few channels hold most of the history.
      const u = hashFloat(this.seed, 12, c);
      weights.push(base * Math.exp(1.2 * Math.sqrt(-2 * Math.log(1 - u * 0.999)) * Math.cos(2 * Math.PI * hashFloat(this.seed, 13, c))));
    }
    const counts = allocate(totalMessages, weights);
    for (let c = 0; c < count; c++) this.addPlan(this.planChannel(c, kinds[c], counts[c], undefined));
  }

  private addPlan(plan: ChannelPlan): void {
    this.plans.push(plan);
    this.channels.push(plan.channel);
    this.byCid.set(plan.cid, plan);
    for (const u of plan.everMembers) {
      let list = this.userChannelIdx.get(u);
      if (!list) this.userChannelIdx.set(u, (list = []));
      list.push(plan.index);
    }
  }

  private planChannel(
    c: number,
    kind: ChannelKind,
    n: number,
    window: { createdUs: number; endUs: number; memberIds?: number[]; name?: string } | undefined,
  ): ChannelPlan {
    const rng = new Rng(this.seed, 21, c);
    const span = this.endUs - this.startUs;
    const createdUs = window?.createdUs ?? this.startUs + Math.floor(rng.next() * rng.next() * span * 0.6);
    let endUs = window?.endUs ?? this.endUs;
    const U = this.users.length;
    const size =
      kind === 'dm' ? 2 : kind === 'group' ? rng.int(3, 12) : kind === 'team' ? rng.int(5, 30) : rng.int(20, 150);
    const pool = window?.memberIds ?? rng.sample(U, Math.min(U, size + (kind === 'dm' ? 0 : 3)));
    const initialCount = kind === 'dm' ? Math.min(2, pool.length) : Math.min(pool.length, size);
    const initial = pool.slice(0, initialCount);
    const joiners = pool.slice(initialCount);
    const type = kind === 'team' ? 'team' : kind === 'livestream' ? 'livestream' : 'messaging';

    let id: string;
    let name: string | undefined;
    if (kind === 'dm') {
      id = `!members-${b64From(43, this.seed, 22, c)}`;
    } else {
      const topics = kind === 'team' ? TEAM_NAMES : kind === 'group' ? GROUP_TOPICS : LIVESTREAM_TOPICS;
      name = window?.name ?? rng.pick(topics);
      id = `${slug(name) || 'channel'}-${c}`;
    }
    const cid = `${type}:${id}`;

    // Membership events: joins (extra pool users) and a few leaves, at planned slots.
    const events: MemberEvent[] = [];
    if (kind !== 'dm' && n >= 20) {
      const maxEvents = Math.min(Math.floor(n / 10), joiners.length + 3);
      const leaves = Math.min(initial.length - 2, rng.chance(0.5) ? rng.int(0, 2) : 0);
      const planned: Omit<MemberEvent, 'slot'>[] = [];
      for (const u of joiners) planned.push({ kind: 'add', user: u, actor: initial[0] });
      for (let k = 0; k < leaves; k++) planned.push({ kind: 'remove', user: initial[initial.length - 1 - k], actor: initial[0] });
      const chosen = planned.slice(0, maxEvents);
      const slots = rng.sample(n - 1, chosen.length).map((s) => s + 1).sort((a, b) => a - b);
      // Adds first in time so that a leave never precedes any join of the same user.
      chosen.forEach((e, k) => events.push({ ...e, slot: slots[k] }));
    }

    const warp = new Float64Array(WARP_SEGMENTS + 1);
    {
      let acc = 0;
      for (let k = 0; k < WARP_SEGMENTS; k++) {
        const u = rng.next();
        acc += 0.05 + u * u * u * 4; // bursty: some weeks are much busier
        warp[k + 1] = acc;
      }
      for (let k = 1; k <= WARP_SEGMENTS; k++) warp[k] /= acc;
    }

    const roles = new Map<number, 'owner' | 'moderator' | 'member'>();
    initial.forEach((u, k) => roles.set(u, k === 0 && kind !== 'dm' ? 'owner' : kind !== 'dm' && k < 3 && rng.chance(0.3) ? 'moderator' : 'member'));
    for (const e of events) if (e.kind === 'add') roles.set(e.user, 'member');

    // With ≥ 8 channels, channel 4 is always soft-deleted and channel 5 always truncated, so every
    // reasonably sized dataset exercises both export options.
    const forced = this.channelTarget >= 8;
    const deleted = !window && kind !== 'dm' && c >= 4 && (rng.chance(0.03) || (forced && c === 4));
    const deletedUs = deleted ? endUs - Math.floor(rng.next() * 20 * US_PER_DAY) - US_PER_HOUR : undefined;
    if (deletedUs !== undefined) endUs = deletedUs - US_PER_HOUR;
    const startUs = createdUs + US_PER_MINUTE;
    if (endUs <= startUs) endUs = startUs + US_PER_HOUR;

    const plan: ChannelPlan = {
      index: c, kind, cid, startUs, endUs, createdUs, n, warp, initial, events, roles,
      joinedUs: new Map(), everMembers: [...initial, ...events.filter((e) => e.kind === 'add').map((e) => e.user)],
      added: [], channel: undefined as unknown as StreamChannel,
    };
    for (const u of initial) plan.joinedUs.set(u, createdUs);
    for (const e of events) if (e.kind === 'add') plan.joinedUs.set(e.user, this.slotTime(plan, e.slot));

    const createdAt = formatUs(createdUs);
    const lastUs = n > 0 ? this.slotTime(plan, n - 1) : undefined;
    const truncated = !window && kind !== 'dm' && kind !== 'livestream' && n >= 10 && c !== 4 && (rng.chance(0.05) || (forced && c === 5));
    const truncatedUs = truncated ? this.slotTime(plan, Math.floor(n * 0.2)) : undefined;
    const currentMembers = this.currentMemberIdx(plan);
    const channel: StreamChannel = {
      cid,
      id,
      type,
      last_message_at: lastUs === undefined ? null : formatUs(lastUs),
      created_by: this.users[initial[0]] ?? null,
      created_at: createdAt,
      updated_at: formatUs(Math.max(createdUs, truncatedUs ?? 0, deletedUs ?? 0, createdUs + Math.floor(rng.next() * 3 * US_PER_DAY))),
      frozen: false,
      disabled: false,
      member_count: currentMembers.length,
      message_count: n,
      config: channelConfig(type, formatUs(this.startUs - 400 * US_PER_DAY)),
      auto_translation_language: '',
    };
    if (truncatedUs !== undefined) {
      channel.truncated_at = formatUs(truncatedUs);
      channel.truncated_by = this.users[initial[0]];
    }
    if (deletedUs !== undefined) channel.deleted_at = formatUs(deletedUs);
    if (name !== undefined) {
      channel.name = name;
      channel.image = `https://cdn.example.com/channels/${slug(name) || 'channel'}.png`;
    }
    if (kind === 'team') {
      channel.description = `${name} — internal discussion`;
      channel.project_code = `PRJ-${1000 + (hash(this.seed, 23, c) % 9000)}`;
    }
    if (kind === 'livestream') channel.event_date = formatUs(createdUs + 7 * US_PER_DAY);
    if (kind === 'group' && rng.chance(0.3)) channel.confidential = true;
    plan.channel = channel;
    return plan;
  }

  /** Time (µs) of a generated slot: a monotone, bursty warp of a jittered uniform grid. */
  private slotTime(plan: ChannelPlan, i: number): number {
    const x = (i + hashFloat(this.seed, 31, plan.index, i)) / Math.max(1, plan.n);
    const w = plan.warp;
    let lo = 0;
    let hi = WARP_SEGMENTS - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (w[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    const frac = (x - w[lo]) / (w[lo + 1] - w[lo] || 1);
    return plan.startUs + Math.floor(((plan.endUs - plan.startUs) * (lo + Math.min(1, frac))) / WARP_SEGMENTS);
  }

  private messageId(plan: ChannelPlan, slot: number): string {
    return uuidFrom(this.seed, 41, plan.index, slot);
  }

  private currentMemberIdx(plan: ChannelPlan): number[] {
    const set = new Set(plan.initial);
    for (const e of plan.events) {
      if (e.kind === 'add') set.add(e.user);
      else set.delete(e.user);
    }
    return [...set];
  }

  private plan(cid: string): ChannelPlan {
    const p = this.byCid.get(cid);
    if (!p) throw new Error(`Unknown channel ${cid}`);
    return p;
  }

  hasChannel(cid: string): boolean {
    return this.byCid.has(cid);
  }

  channelByCid(cid: string): StreamChannel | undefined {
    return this.byCid.get(cid)?.channel;
  }

  /** cids of the channels a user is or was a member of. */
  userChannels(userId: string): string[] {
    const i = this.userIndex.get(userId);
    if (i === undefined) return [];
    return (this.userChannelIdx.get(i) ?? []).map((c) => this.plans[c].cid);
  }

  /** Ids of every user who is or was a member of the channel (authors of its messages). */
  channelUserIds(cid: string): string[] {
    const p = this.plan(cid);
    const ids = new Set(p.everMembers.map((u) => this.users[u].id));
    for (const e of p.added) if (e.message.user) ids.add(e.message.user.id);
    return [...ids];
  }

  members(cid: string): StreamMember[] {
    const p = this.plan(cid);
    return this.currentMemberIdx(p).map((u) => {
      const role = p.roles.get(u) ?? 'member';
      const joined = formatUs(p.joinedUs.get(u) ?? p.createdUs);
      const m: StreamMember = {
        user_id: this.users[u].id,
        user: this.users[u],
        status: 'member',
        created_at: joined,
        updated_at: joined,
        banned: false,
        shadow_banned: false,
        archived_at: null,
        pinned_at: null,
        role,
        channel_role: role === 'moderator' ? 'channel_moderator' : 'channel_member',
        notifications_muted: false,
      };
      if (role === 'moderator') m.is_moderator = true;
      return m;
    });
  }

  messageCount(cid: string): number {
    const p = this.plan(cid);
    return p.n + p.added.length;
  }

  *messages(cid: string): Iterable<StreamMessage> {
    for (const e of this.entries(cid)) yield e.message;
  }

  *reactions(cid: string): Iterable<StreamReaction> {
    for (const e of this.entries(cid)) yield* e.reactions;
  }

  reads(cid: string): StreamRead[] {
    const p = this.plan(cid);
    if (p.kind === 'livestream') return []; // read events are off for livestream channels
    const out: StreamRead[] = [];
    for (const u of this.currentMemberIdx(p)) {
      const rng = new Rng(this.seed, 51, p.index, u);
      if (!rng.chance(0.85)) continue;
      const total = p.n;
      if (total === 0) {
        out.push({ user: this.users[u], last_read: formatUs(p.joinedUs.get(u) ?? p.createdUs), unread_messages: 0 });
        continue;
      }
      const behind = Math.min(total - 1, rng.geometric(Math.max(1, total * 0.03)));
      const slot = total - 1 - behind;
      const t = Math.max(this.slotTime(p, slot) + rng.int(1, 600) * US_PER_SECOND, p.joinedUs.get(u) ?? 0);
      out.push({
        user: this.users[u],
        last_read: formatUs(Math.min(t, p.endUs)),
        unread_messages: behind,
        last_read_message_id: this.messageId(p, slot),
      });
    }
    return out;
  }

  /** Messages with all their reactions, chronological; the writer uses this single pass. */
  *entries(cid: string): Generator<MessageEntry> {
    const p = this.plan(cid);
    for (const e of this.generate(p)) yield this.applyPatch(e);
    for (const e of p.added) yield this.applyPatch(e);
  }

  private applyPatch(e: MessageEntry): MessageEntry {
    const patch = this.patches.get(e.message.id);
    if (!patch) return e;
    return { message: { ...e.message, ...patch }, reactions: e.reactions };
  }

  private *generate(p: ChannelPlan): Generator<MessageEntry> {
    const n = p.n;
    if (n === 0) return;
    const rng = new Rng(this.seed, 61, p.index);
    const active: number[] = [...p.initial];
    const leavers = new Set(p.events.filter((e) => e.kind === 'remove').map((e) => e.user));
    const pending: PendingThread[] = [];
    let reserved = 0;
    let ev = 0;
    const recent: StreamMessage[] = [];
    const cid = p.cid;
    const windowEnd = p.endUs;

    for (let i = 0; i < n; i++) {
      const us = this.slotTime(p, i);
      const id = this.messageId(p, i);
      const created = formatUs(us);

      if (ev < p.events.length && p.events[ev].slot === i) {
        const e = p.events[ev++];
        const subject = this.users[e.user];
        const actor = this.users[e.actor];
        let text: string;
        if (e.kind === 'add') {
          if (!active.includes(e.user)) active.push(e.user);
          text = rng.chance(0.5) ? `${subject.name} joined the channel.` : `${actor.name} added ${subject.name} to the channel.`;
        } else {
          const k = active.indexOf(e.user);
          if (k >= 0) active.splice(k, 1);
          text = rng.chance(0.5) ? `${subject.name} left the channel.` : `${actor.name} removed ${subject.name} from the channel.`;
        }
        const msg = this.baseMessage(id, text, 'system', e.kind === 'add' && text.endsWith('joined the channel.') ? subject : actor, cid, created);
        msg.member_event = e.kind === 'add' ? 'member.added' : 'member.removed';
        msg.member_user_id = subject.id;
        yield { message: msg, reactions: [] };
        continue;
      }

      const eventsLeft = p.events.length - ev;
      const freeLeft = n - i - eventsLeft; // free slots including this one
      const mustReply = reserved > 0 && reserved >= freeLeft;

      if (pending.length > 0 && (mustReply || rng.chance(0.3))) {
        const th = rng.chance(0.7) ? pending[0] : pending[rng.int(0, pending.length - 1)];
        const r = th.replies[th.next++];
        reserved--;
        if (th.next >= th.replies.length) pending.splice(pending.indexOf(th), 1);
        const author = active.includes(r.user) ? r.user : active[0] ?? r.user;
        const text = makeText(rng, true);
        const msg = this.baseMessage(id, text, 'reply', this.users[author], cid, created);
        msg.parent_id = th.parentId;
        if (r.show) msg.show_in_channel = true;
        const reactions = this.decorate(rng, p, msg, us, active, windowEnd, r.deleted);
        yield { message: msg, reactions };
        continue;
      }

      // A top-level message, possibly starting a thread.
      const author = pickAuthor(rng, active);
      const attachOnly = rng.chance(0.015);
      const text = attachOnly ? '' : makeText(rng, false);
      const msg = this.baseMessage(id, text, 'regular', this.users[author], cid, created);
      let replies: PendingThread['replies'] = [];
      const room = freeLeft - 1 - reserved;
      if (room > 0 && rng.chance(p.kind === 'dm' ? 0.03 : 0.07)) {
        const k = Math.min(room, 1 + rng.geometric(3));
        const candidates = active.filter((u) => !leavers.has(u));
        const pool = candidates.length > 0 ? candidates : active;
        replies = Array.from({ length: k }, () => ({
          user: rng.chance(0.35) ? author : rng.pick(pool),
          deleted: rng.chance(0.03),
          show: rng.chance(0.08),
        }));
        const kept = replies.filter((r) => !r.deleted).length;
        msg.reply_count = kept;
        msg.deleted_reply_count = k - kept;
        const participants = new Set<number>([author, ...replies.map((r) => r.user)]);
        msg.thread_participants = [...participants].map((u) => this.users[u]);
        pending.push({ parentId: id, replies, next: 0 });
        reserved += k;
      }
      if (rng.chance(0.06) || attachOnly) msg.attachments = [makeAttachment(rng, msg.id)];
      if (rng.chance(0.08) && active.length > 1) {
        const other = this.users[rng.pick(active.filter((u) => u !== author))];
        msg.text = `@${other.name} ${msg.text}`.trimEnd();
        msg.html = renderHtml(msg.text);
        msg.mentioned_users = [other];
      }
      if (recent.length > 0 && rng.chance(0.015)) {
        const q = rng.pick(recent);
        const { quoted_message: _drop, ...quoted } = q;
        msg.quoted_message_id = q.id;
        msg.quoted_message = quoted;
      }
      if (rng.chance(0.01)) {
        const pinnedUs = Math.min(us + rng.int(1, 3 * 24 * 60) * US_PER_MINUTE, windowEnd);
        msg.pinned = true;
        msg.pinned_at = formatUs(pinnedUs);
        msg.pinned_by = this.users[rng.pick(active)];
        msg.pin_expires = null;
      }
      if (rng.chance(0.02)) msg.priority = rng.pick(['high', 'normal']);
      const reactions = this.decorate(rng, p, msg, us, active, windowEnd, rng.chance(0.02));
      recent.push(msg);
      if (recent.length > 8) recent.shift();
      yield { message: msg, reactions };
    }
  }

  private baseMessage(id: string, text: string, type: string, user: StreamUser, cid: string, created: string): StreamMessage {
    return {
      id,
      text,
      html: renderHtml(text),
      type,
      user,
      attachments: [],
      latest_reactions: [],
      own_reactions: [],
      reaction_counts: {},
      reaction_scores: {},
      reaction_groups: null,
      reply_count: 0,
      deleted_reply_count: 0,
      cid,
      created_at: created,
      updated_at: created,
      shadowed: false,
      mentioned_users: [],
      silent: false,
      pinned: false,
      pinned_at: null,
      pinned_by: null,
      pin_expires: null,
    };
  }

  /** Reactions, edits and deletion; sets updated_at to the latest of them. */
  private decorate(rng: Rng, p: ChannelPlan, msg: StreamMessage, us: number, active: number[], windowEnd: number, deleted: boolean): StreamReaction[] {
    let updated = us;
    const reactions: StreamReaction[] = [];
    if (rng.chance(p.kind === 'livestream' ? 0.1 : 0.05)) {
      const count = Math.min(active.length * 2, 1 + rng.geometric(p.kind === 'livestream' ? 2 : 0.5));
      const seen = new Set<string>();
      for (let k = 0; k < count; k++) {
        const u = rng.pick(active);
        const r = rng.next();
        const type = REACTION_TYPES[Math.min(REACTION_TYPES.length - 1, Math.floor(r * r * r * REACTION_TYPES.length))];
        const key = `${u}:${type}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const at = formatUs(Math.min(us + Math.floor(rng.next() * rng.next() * 2 * US_PER_DAY) + US_PER_SECOND, windowEnd));
        const user = this.users[u];
        reactions.push({ message_id: msg.id, user_id: user.id, user, type, score: type === 'clap' ? rng.int(1, 5) : 1, created_at: at, updated_at: at });
      }
      reactions.sort((a, b) => (parseTimeUs(b.created_at) - parseTimeUs(a.created_at)));
      const counts: Record<string, number> = {};
      const scores: Record<string, number> = {};
      const groups: NonNullable<StreamMessage['reaction_groups']> = {};
      for (const r of reactions) {
        counts[r.type] = (counts[r.type] ?? 0) + 1;
        scores[r.type] = (scores[r.type] ?? 0) + r.score;
        const g = groups[r.type];
        if (!g) groups[r.type] = { count: 1, sum_scores: r.score, first_reaction_at: r.created_at, last_reaction_at: r.created_at };
        else {
          g.count++;
          g.sum_scores += r.score;
          g.first_reaction_at = r.created_at; // sorted newest first
        }
      }
      if (reactions.length > 0) {
        msg.latest_reactions = reactions.slice(0, LATEST_REACTIONS);
        msg.reaction_counts = counts;
        msg.reaction_scores = scores;
        msg.reaction_groups = groups;
        updated = Math.max(updated, parseTimeUs(reactions[0].created_at));
      }
    }
    if (msg.text && rng.chance(0.05)) {
      const editUs = Math.min(us + Math.floor(rng.next() * rng.next() * 2 * US_PER_DAY) + 5 * US_PER_SECOND, windowEnd);
      msg.message_text_updated_at = formatUs(editUs);
      updated = Math.max(updated, editUs);
    }
    if (msg.pinned_at) updated = Math.max(updated, parseTimeUs(msg.pinned_at as string));
    if (deleted) {
      const delUs = Math.min(us + Math.floor(rng.next() * 3 * US_PER_DAY) + US_PER_MINUTE, windowEnd);
      msg.type = 'deleted';
      msg.deleted_at = formatUs(delUs);
      updated = Math.max(updated, delUs);
    }
    msg.updated_at = formatUs(Math.max(updated, us));
    return reactions;
  }

  // ---- mutations (the sandbox applies these while running) ----------------------------------

  /** Append `count` new messages to a channel, created at `atUs` (spread over the last minute). */
  addMessages(cid: string, count: number, atUs: number): StreamMessage[] {
    const p = this.plan(cid);
    const out: StreamMessage[] = [];
    const members = this.currentMemberIdx(p);
    if (members.length === 0) throw new Error(`Channel ${cid} has no members`);
    for (let k = 0; k < count; k++) {
      const seq = ++this.mutationCounter;
      const rng = new Rng(this.seed, 71, seq);
      const us = atUs - (count - 1 - k) * 1000 - 1; // strictly increasing, ending just before atUs
      const created = formatUs(us);
      const author = this.users[pickAuthor(rng, members)];
      const msg = this.baseMessage(uuidFrom(this.seed, 72, seq, hashString(cid)), makeText(rng, false), 'regular', author, cid, created);
      p.added.push({ message: msg, reactions: [] });
      out.push(msg);
    }
    const last = out[out.length - 1];
    if (last) {
      p.channel.last_message_at = last.created_at;
      p.channel.message_count = p.n + p.added.length;
    }
    return out;
  }

  private findMessage(cid: string, id: string): StreamMessage | undefined {
    for (const m of this.messages(cid)) if (m.id === id) return m;
    return undefined;
  }

  /** Edit a message's text at `atUs`; returns the new version. */
  editMessage(cid: string, id: string, text: string, atUs: number): StreamMessage {
    const m = this.findMessage(cid, id);
    if (!m) throw new Error(`Unknown message ${id} in ${cid}`);
    const at = formatUs(atUs);
    const patch = { ...this.patches.get(id), text, html: renderHtml(text), message_text_updated_at: at, updated_at: at };
    this.patches.set(id, patch);
    return { ...m, ...patch };
  }

  /** Soft-delete a message at `atUs` (text kept, as Stream keeps it for server-side export). */
  deleteMessage(cid: string, id: string, atUs: number): StreamMessage {
    const m = this.findMessage(cid, id);
    if (!m) throw new Error(`Unknown message ${id} in ${cid}`);
    const at = formatUs(atUs);
    const patch = { ...this.patches.get(id), type: 'deleted', deleted_at: at, updated_at: at };
    this.patches.set(id, patch);
    return { ...m, ...patch };
  }

  /** Ids of up to `n` messages of a channel (deterministic spread), for mutation tests. */
  pickMessageIds(cid: string, n: number, type = 'regular'): string[] {
    const all: string[] = [];
    for (const m of this.messages(cid)) if (m.type === type) all.push(m.id);
    if (all.length <= n) return all;
    const step = all.length / n;
    return Array.from({ length: n }, (_, k) => all[Math.floor(k * step)]);
  }

  /** Create a new channel whose `messages` messages fall in the hour before `atUs`. */
  addChannel(opts: { atUs: number; type?: 'messaging' | 'team' | 'livestream'; messages?: number; memberIds?: string[]; name?: string }): StreamChannel {
    const c = this.plans.length;
    const kind: ChannelKind = opts.type === 'team' ? 'team' : opts.type === 'livestream' ? 'livestream' : 'group';
    const memberIdx = opts.memberIds?.map((id) => {
      const i = this.userIndex.get(id);
      if (i === undefined) throw new Error(`Unknown user ${id}`);
      return i;
    });
    const plan = this.planChannel(c, kind, opts.messages ?? 10, {
      createdUs: opts.atUs - US_PER_HOUR - US_PER_MINUTE,
      endUs: opts.atUs - 1,
      memberIds: memberIdx,
      name: opts.name ?? `New channel ${c}`,
    });
    this.addPlan(plan);
    return plan.channel;
  }
}

function pickAuthor(rng: Rng, active: number[]): number {
  // Skewed: the first members of a channel talk the most.
  const r = rng.next();
  return active[Math.min(active.length - 1, Math.floor(active.length * r * r))];
}

function makeAttachment(rng: Rng, messageId: string): StreamAttachment {
  const key = messageId.slice(0, 8);
  if (rng.chance(0.6)) {
    const [title, mime] = rng.pick(IMAGE_NAMES);
    const url = `https://us-east.stream-io-cdn.com/1234567/images/${key}.${title.split('.').pop()}`;
    return {
      type: 'image',
      fallback: title,
      image_url: url,
      asset_url: url,
      thumb_url: `${url}?w=300`,
      mime_type: mime,
      file_size: rng.int(20_000, 6_000_000),
      original_width: rng.pick([640, 1024, 1920, 3024]),
      original_height: rng.pick([480, 768, 1080, 4032]),
    };
  }
  const [title, mime] = rng.pick(FILE_NAMES);
  return {
    type: mime.startsWith('audio/') ? 'audio' : 'file',
    title,
    asset_url: `https://us-east.stream-io-cdn.com/1234567/attachments/${key}/${encodeURIComponent(title)}`,
    mime_type: mime,
    file_size: rng.int(1_000, 25_000_000),
  };
}

/** Split `total` into integer parts proportional to `weights` (largest remainder, deterministic). */
function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0) || 1;
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) out[order[k][1]]++;
  return out;
}

export function createDataset(opts: DatasetOptions): GeneratedDataset {
  return new GeneratedDataset(opts);
}
