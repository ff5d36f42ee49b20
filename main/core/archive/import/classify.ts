/** Entity kinds an export line can hold (stream-export-api.md §6.3, §8). */
export type EntityKind = 'channel' | 'user' | 'member' | 'message' | 'reaction' | 'read' | 'other';

export interface Classified {
  kind: EntityKind;
  /** The entity object itself (unwrapped from an envelope or wrapper). */
  o: Record<string, unknown>;
  shape: 'envelope' | 'wrapper' | 'bare';
  /** For 'other': the name the file gave it (e.g. "call"). */
  name?: string;
}

const WRAPPER_KEYS: Record<string, EntityKind> = {
  channel: 'channel',
  message: 'message',
  member: 'member',
  channel_member: 'member',
  reaction: 'reaction',
  user: 'user',
  read: 'read',
  call: 'other',
};

const TYPE_NAMES: Record<string, EntityKind> = {
  ...WRAPPER_KEYS,
  channel_read: 'read',
  read_state: 'read',
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Recognises a bare entity by its fields. Order matters: messages also carry `cid`. */
export function classifyBare(o: Record<string, unknown>): EntityKind | null {
  if ('message_id' in o && 'score' in o) return 'reaction';
  if (('html' in o || 'text' in o) && 'cid' in o && 'id' in o) return 'message';
  if ('last_read' in o) return 'read';
  if ('channel_role' in o && 'user_id' in o) return 'member';
  if ('cid' in o && ('config' in o || 'member_count' in o || ('type' in o && 'id' in o && 'created_at' in o))) return 'channel';
  if ('role' in o && 'id' in o && !('cid' in o)) return 'user';
  return null;
}

export function classify(v: unknown): Classified | null {
  if (!isObj(v)) return null;
  const type = v.type;
  const payload = isObj(v.data) ? v.data : isObj(v.item) ? v.item : null;
  if (typeof type === 'string' && payload) {
    const kind = TYPE_NAMES[type] ?? 'other';
    return { kind, o: payload, shape: 'envelope', name: type };
  }
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] in WRAPPER_KEYS && isObj(v[keys[0]])) {
    return { kind: WRAPPER_KEYS[keys[0]], o: v[keys[0]] as Record<string, unknown>, shape: 'wrapper', name: keys[0] };
  }
  const kind = classifyBare(v);
  return kind ? { kind, o: v, shape: 'bare' } : null;
}
