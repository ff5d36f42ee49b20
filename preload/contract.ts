/**
 * The one contract between the UI and main (architecture.md): every operation has a name, a
 * runtime schema for its input and a result type. Electron IPC (main/electron/ipc.ts) and browser
 * mode (main/web/server.ts) both bind exactly this list; the renderer's `api` is derived from it.
 *
 * Results and errors cross as data: `{ ok: true, value }` or `{ ok: false, error: { code, message } }`.
 * Progress crosses as a typed event stream (`AppEvent`).
 *
 * Secrets only ever travel inward (add/rotate); no result type has a field that could carry one.
 */
import { z } from 'zod';
import type {
  ArchiveStats,
  ChannelPage,
  ChannelSummary,
  ContextResult,
  EvidenceFileView,
  ImportProgress,
  ImportSummary,
  MessageVersionView,
  SearchFacets,
  SearchResult,
  ThreadResult,
} from '../main/core/archive/types.ts';
import type { CollectionReport, CollectionView, JobProgressEvent, JobView } from '../main/core/jobs/types.ts';

export type * from '../main/core/archive/types.ts';
export type * from '../main/core/jobs/types.ts';

// ---------------------------------------------------------------------------------------------
// Shapes that cross the boundary besides the archive's own (main/core/archive/types.ts).

export type Theme = 'light' | 'dark' | 'system';

export interface Settings {
  /** Where the archive, evidence and state live (read-only from the UI: chosen at start). */
  data_dir: string;
  /** IANA zone used to display times; 'local' follows the machine. */
  time_zone: string;
  theme: Theme;
  /** Open the desktop app when the user logs in (applied by main/electron; browser mode ignores it). */
  start_at_login: boolean;
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'browser';
  platform: string;
  data_dir: string;
  /** The embedded sandbox Stream server can be started from this process. */
  sandbox_available: boolean;
  /** Feature areas wired in this build (later issues add backups, matters, audit, productions). */
  features: string[];
}

export interface WorkspaceStatus {
  first_run: boolean;
  profiles: number;
  archived_messages: number;
  sandbox: SandboxStatus | null;
}

export interface SandboxStatus {
  profile_id: string;
  base_url: string;
  channels: number;
  users: number;
  messages: number;
}

export interface ProfileView {
  id: string;
  name: string;
  api_key: string;
  base_url: string;
  sandbox: boolean;
  created_at: string;
  updated_at: string;
  last_connected_at: string | null;
  /** Whether the keychain holds a secret for it (never the secret itself). */
  has_secret: boolean;
}

export type ConnectionTestOutcome =
  | 'ok'
  | 'wrong_key'
  | 'wrong_secret'
  | 'suspended'
  | 'unreachable'
  | 'rate_limited'
  | 'keychain'
  | 'error';

export interface ConnectionTestResult {
  outcome: ConnectionTestOutcome;
  message: string;
  took_ms: number;
}

export interface RemoteChannel {
  cid: string;
  type: string;
  id: string;
  name: string | null;
  member_count: number;
  created_at: string | null;
  last_message_at: string | null;
  disabled?: boolean;
}

export interface RemoteChannelPage {
  channels: RemoteChannel[];
  offset: number;
  has_more: boolean;
}

export interface RemoteUser {
  id: string;
  name: string | null;
  role: string | null;
  last_active: string | null;
}

export interface RemoteUserPage {
  users: RemoteUser[];
  offset: number;
  has_more: boolean;
}

export interface ArchiveUser {
  id: string;
  name: string | null;
  role: string | null;
}

// ---------------------------------------------------------------------------------------------
// Input schemas. Strict objects: unknown keys are refused, not ignored, so a confused or hostile
// caller cannot smuggle options the UI never offers.

const id = z.string().min(1).max(512);
const text = (max: number) => z.string().max(max);
const limit = (max: number) => z.number().int().min(1).max(max);
const offset = z.number().int().min(0).max(1_000_000);
const isoDate = z.string().max(40).refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');
const none = z.strictObject({});

/** Mirrors main/core/jobs CollectionRequest (the UI picks channels by cid or asks for all). */
const collectionRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('channels'),
    profile_id: id,
    channels: z.union([z.strictObject({ all: z.literal(true) }), z.strictObject({ cids: z.array(id).min(1).max(100_000) })]),
    since: isoDate.optional(),
    until: isoDate.optional(),
    include_truncated_messages: z.boolean().optional(),
    include_soft_deleted_channels: z.boolean().optional(),
    format: z.enum(['v1', 'v2']).optional(),
    label: text(200).optional(),
  }),
  z.strictObject({
    kind: z.literal('users'),
    profile_id: id,
    user_ids: z.array(id).min(1).max(100_000),
    label: text(200).optional(),
  }),
]);

/** Every operation: name → input schema. The result type of each is in `Results` below. */
export const operations = {
  'app.info': none,
  'app.openExternal': z.strictObject({ url: text(2048) }),
  'workspace.status': none,
  'workspace.startSandbox': z.strictObject({ messages: limit(2_000_000).optional(), seed: z.number().int().optional() }),
  'settings.get': none,
  'settings.update': z.strictObject({
    time_zone: text(64).optional(),
    theme: z.enum(['light', 'dark', 'system']).optional(),
    start_at_login: z.boolean().optional(),
  }),

  'profiles.list': none,
  'profiles.add': z.strictObject({
    name: z.string().trim().min(1).max(100),
    api_key: z.string().trim().min(1).max(200),
    base_url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    secret: z.string().min(1).max(1024),
  }),
  'profiles.test': z.strictObject({ id }),
  'profiles.rotate': z.strictObject({ id, secret: z.string().min(1).max(1024) }),
  'profiles.remove': z.strictObject({ id }),

  'stream.channels': z.strictObject({
    profile_id: id,
    query: text(200).optional(),
    type: text(64).optional(),
    limit: limit(30).optional(),
    offset: offset.optional(),
  }),
  'stream.users': z.strictObject({
    profile_id: id,
    query: text(200).optional(),
    limit: limit(30).optional(),
    offset: offset.optional(),
  }),

  'collections.create': collectionRequest,
  'collections.list': z.strictObject({ active: z.boolean().optional() }),
  'collections.report': z.strictObject({ collection_id: id }),
  /** Retry / cancel / remove take a job id or a collection id (all its jobs), like the engine. */
  'jobs.retry': z.strictObject({ id }),
  'jobs.cancel': z.strictObject({ id }),
  'jobs.remove': z.strictObject({ id }),

  'archive.search': z.strictObject({
    query: text(2000),
    sort: z.enum(['relevance', 'newest', 'oldest']).optional(),
    limit: limit(500).optional(),
    cursor: text(2000).optional(),
    facets: z.boolean().optional(),
  }),
  'archive.facets': z.strictObject({ query: text(2000) }),
  'archive.context': z.strictObject({
    message_id: id,
    before: z.number().int().min(0).max(1000).optional(),
    after: z.number().int().min(0).max(1000).optional(),
  }),
  'archive.channelPage': z.strictObject({
    cid: id,
    before: id.optional(),
    after: id.optional(),
    limit: limit(1000).optional(),
  }),
  'archive.thread': z.strictObject({ message_id: id }),
  'archive.versions': z.strictObject({ message_id: id }),
  'archive.channels': z.strictObject({ query: text(200).optional(), limit: limit(1000).optional(), offset: offset.optional() }),
  'archive.users': z.strictObject({ query: text(200).optional(), limit: limit(1000).optional() }),
  'archive.stats': none,
  'archive.evidence': none,
  'archive.import': z.strictObject({ paths: z.array(z.string().min(1).max(4096)).min(1).max(1000) }),
} as const;

export type OperationName = keyof typeof operations;
export type OperationInput<K extends OperationName> = z.input<(typeof operations)[K]>;

export interface Results {
  'app.info': AppInfo;
  'app.openExternal': { opened: boolean };
  'workspace.status': WorkspaceStatus;
  'workspace.startSandbox': SandboxStatus;
  'settings.get': Settings;
  'settings.update': Settings;
  'profiles.list': ProfileView[];
  'profiles.add': ProfileView;
  'profiles.test': ConnectionTestResult;
  'profiles.rotate': ProfileView;
  'profiles.remove': { removed: true };
  'stream.channels': RemoteChannelPage;
  'stream.users': RemoteUserPage;
  'collections.create': CollectionView;
  'collections.list': CollectionView[];
  'collections.report': CollectionReport;
  'jobs.retry': JobView[];
  'jobs.cancel': JobView[];
  'jobs.remove': { removed: true };
  'archive.search': SearchResult;
  'archive.facets': SearchFacets;
  'archive.context': ContextResult;
  'archive.channelPage': ChannelPage;
  'archive.thread': ThreadResult;
  'archive.versions': MessageVersionView[];
  'archive.channels': ChannelSummary[];
  'archive.users': ArchiveUser[];
  'archive.stats': ArchiveStats;
  'archive.evidence': EvidenceFileView[];
  'archive.import': ImportSummary;
}

export type OperationResult<K extends OperationName> = Results[K];

export const operationNames = Object.keys(operations) as OperationName[];

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.hasOwn(operations, name);
}

// ---------------------------------------------------------------------------------------------
// Results and errors as data.

export type ErrorCode =
  | 'invalid_input'
  | 'unknown_operation'
  | 'forbidden'
  | 'not_found'
  | 'unavailable'
  | 'query_syntax'
  | 'keychain'
  | 'connection'
  | 'conflict'
  | 'internal';

export interface ContractError {
  code: ErrorCode | (string & {});
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ContractError };

export type ValidatedInput<K extends OperationName> = z.output<(typeof operations)[K]>;

/** Parses untrusted input for `op`; the error message names the offending fields, never echoes values. */
export function parseInput<K extends OperationName>(
  op: K,
  input: unknown,
): { ok: true; value: ValidatedInput<K> } | { ok: false; error: ContractError } {
  const parsed = operations[op].safeParse(input ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as ValidatedInput<K> };
  const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).slice(0, 5);
  return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${op} — ${fields.join('; ')}` } };
}

// ---------------------------------------------------------------------------------------------
// Events (main → UI). One stream; the UI filters by `type`.

export type AppEvent =
  | { type: 'job.progress'; progress: JobProgressEvent }
  | { type: 'collection.created'; collection: CollectionView }
  | { type: 'import.progress'; progress: ImportProgress }
  | { type: 'archive.changed'; messages: number }
  | { type: 'sandbox.ready'; sandbox: SandboxStatus }
  | { type: 'power'; state: 'suspend' | 'resume' }
  | { type: 'settings.changed'; settings: Settings };

export type AppEventType = AppEvent['type'];

/** What the renderer sees as `window.archivist` (Electron) or the HTTP client (browser mode). */
export interface ArchivistApi {
  call<K extends OperationName>(op: K, input: OperationInput<K>): Promise<Outcome<OperationResult<K>>>;
  /** Subscribe to events; returns the unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** IPC channel names (Electron). Kept here so preload and main agree without importing each other. */
export const IPC_INVOKE_CHANNEL = 'archivist:invoke';
export const IPC_EVENT_CHANNEL = 'archivist:event';
