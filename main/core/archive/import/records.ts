/**
 * Flat records the parser hands to the database writer (they cross a thread boundary, so they
 * hold only primitives). Small entities carry their original JSON text in `raw`; messages and
 * reaction lines carry the byte range of their JSON in the evidence file instead (copying a
 * gigabyte of JSON into SQLite would triple import time and double the archive's size).
 */
export interface UserRec { id: string; name: string | null; role: string | null; deleted_at: string | null; updated_at: string | null; raw: string }
export interface ChannelRec {
  cid: string; type: string; id: string; name: string | null; created_at: string | null; updated_at: string | null;
  deleted_at: string | null; truncated_at: string | null; member_count: number | null; raw: string;
}
export interface MemberRec {
  cid: string; user_id: string; role: string | null; channel_role: string | null; created_at: string | null;
  updated_at: string | null; deleted_at: string | null; raw: string;
}
export interface AttachmentRec { type: string | null; title: string | null; url: string | null; mime_type: string | null; file_size: number | null }
export interface ReactionRec {
  message_id: string; user_id: string; type: string; score: number | null; created_at: string | null; updated_at: string | null;
  /** Standalone lines point at their bytes; reactions embedded in a message have no own raw. */
  raw: string | null; raw_off: number; raw_len: number;
}
export interface MessageRec {
  id: string; cid: string; user_id: string | null; parent_id: string | null; type: string; text: string;
  att_text: string | null; created_at: string; created_us: number; updated_at: string | null; deleted_at: string | null;
  flags: number; reply_count: number; show_in_channel: number; hash: number;
  /** Where the message's JSON is in the evidence file; `raw` only when no offset is known. */
  raw: string | null; raw_off: number; raw_len: number;
  attachments: AttachmentRec[] | null; reactions: ReactionRec[] | null;
}
export interface ReadRec { cid: string; user_id: string; last_read: string | null; unread_messages: number | null; last_read_message_id: string | null; raw: string }
export interface OtherRec { line: number; kind: string; raw: string }
export interface RejectRec { line: number; offset: number; reason: string; excerpt: string }

export interface Batch {
  users: UserRec[];
  channels: ChannelRec[];
  members: MemberRec[];
  messages: MessageRec[];
  reactions: ReactionRec[];
  reads: ReadRec[];
  others: OtherRec[];
  rejects: RejectRec[];
  /** Messages counted by the reader so far (for progress). */
  lines: number;
  bytes: number;
}

export const emptyBatch = (): Batch => ({
  users: [], channels: [], members: [], messages: [], reactions: [], reads: [], others: [], rejects: [], lines: 0, bytes: 0,
});

export const FLAG = {
  attachment: 1,
  reaction: 2,
  reply: 4,
  deleted: 8,
  edited: 16,
  pinned: 32,
  system: 64,
} as const;
