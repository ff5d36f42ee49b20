/**
 * The archive's public shapes: what the worker answers and what the CLI, the contract and the
 * UI build on. Times are ISO 8601 UTC strings at this boundary.
 */

export type ExportFormat = 'v1' | 'v2' | 'user';
export type LineShape = 'envelope' | 'wrapper' | 'bare' | 'mixed' | 'document';

export interface Rejection {
  file: string;
  line: number;
  /** Byte offset of the line's first byte in the (decompressed) file. */
  offset: number;
  reason: string;
}

export interface ImportFileResult {
  path: string;
  sha256: string;
  size: number;
  format: ExportFormat;
  shape: LineShape;
  gzip: boolean;
  /** The file had already been fully imported: nothing changed. */
  already_imported: boolean;
  lines: number;
  messages: number;
  new_messages: number;
  new_versions: number;
  channels: number;
  users: number;
  members: number;
  reactions: number;
  attachments: number;
  reads: number;
  rejected: number;
  took_ms: number;
}

export interface RefusedFile {
  path: string;
  reason: string;
}

export interface ImportSummary {
  files: ImportFileResult[];
  refused: RefusedFile[];
  rejected: Rejection[];
}

export interface ImportProgress {
  path: string;
  /**
   * `reading` the file (bytes/lines/messages move); then, after a first import into an empty
   * archive, building the message `indexes`; then waiting until everything is in the
   * `search-index` (the call returns once it is searchable). At 1M messages the last two take
   * several seconds with no byte counts moving: say so rather than look stuck.
   */
  phase: 'reading' | 'indexes' | 'search-index';
  bytes: number;
  total_bytes: number;
  lines: number;
  messages: number;
  bytes_per_second: number;
}

export type SearchSort = 'relevance' | 'newest' | 'oldest';

export interface SearchRequest {
  query: string;
  sort?: SearchSort;
  limit?: number;
  /** Opaque cursor from a previous result's `next_cursor`. */
  cursor?: string;
  facets?: boolean;
}

export interface SearchHit {
  message_id: string;
  cid: string;
  channel_name: string | null;
  /** How to show the channel: its name, else its members' names (direct messages), else its cid. */
  channel_label: string;
  user_id: string | null;
  user_name: string | null;
  created_at: string;
  type: string;
  parent_id: string | null;
  deleted: boolean;
  edited: boolean;
  /** HTML-escaped text with hits wrapped in <mark>…</mark>. */
  snippet: string;
}

export interface FacetBucket {
  key: string;
  label: string;
  count: number;
}

export interface SearchFacets {
  channels: FacetBucket[];
  users: FacetBucket[];
  months: FacetBucket[];
}

export interface SearchResult {
  total: number;
  took_ms: number;
  hits: SearchHit[];
  next_cursor: string | null;
  facets?: SearchFacets;
  /** Things the user should know about how the query was read (e.g. an unknown user in from:). */
  notices?: string[];
}

export interface ReactionView {
  type: string;
  count: number;
  user_ids: string[];
}

export interface AttachmentView {
  type: string | null;
  title: string | null;
  url: string | null;
  mime_type: string | null;
  file_size: number | null;
}

export interface MessageVersionView {
  version: number;
  text: string;
  updated_at: string | null;
  deleted: boolean;
}

export interface MessageView {
  message_id: string;
  cid: string;
  user_id: string | null;
  user_name: string | null;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
  type: string;
  text: string;
  parent_id: string | null;
  reply_count: number;
  pinned: boolean;
  edited: boolean;
  versions: number;
  reactions: ReactionView[];
  attachments: AttachmentView[];
}

export interface ContextRequest {
  message_id: string;
  before?: number;
  after?: number;
}

export interface ContextResult {
  cid: string;
  channel_name: string | null;
  /** How to show the channel: its name, else its members' names (direct messages), else its cid. */
  channel_label: string;
  anchor: string;
  messages: MessageView[];
  has_more_before: boolean;
  has_more_after: boolean;
}

/** A page of a channel's top-level timeline. `before`/`after` are message ids (exclusive). */
export interface ChannelPageRequest {
  cid: string;
  before?: string;
  after?: string;
  limit?: number;
}

export interface ChannelPage {
  cid: string;
  messages: MessageView[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export interface ThreadResult {
  parent: MessageView;
  replies: MessageView[];
}

export interface ChannelSummary {
  cid: string;
  type: string;
  name: string | null;
  /** How to show the channel: its name, else its members' names (direct messages), else its cid. */
  label: string;
  messages: number;
  members: number;
  first_message_at: string | null;
  last_message_at: string | null;
  deleted: boolean;
}

export interface ArchiveStats {
  messages: number;
  message_versions: number;
  deleted_messages: number;
  channels: number;
  users: number;
  members: number;
  reactions: number;
  attachments: number;
  reads: number;
  files: number;
  rejected_lines: number;
  first_message_at: string | null;
  last_message_at: string | null;
  db_bytes: number;
  sqlite_version: string;
  schema_version: number;
}

export interface EvidenceFileView {
  sha256: string;
  path: string;
  size: number;
  format: string;
  imported_at: string;
  messages: number;
  rejected: number;
}
