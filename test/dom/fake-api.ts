/**
 * An in-memory implementation of the contract for renderer tests: each test builds a fresh one
 * (and a fresh store) and scripts the answers it needs. Calls are recorded.
 */
import type {
  AppEvent, ArchivistApi, MessageView, OperationInput, OperationName, OperationResult, Outcome, SearchHit,
} from '../../preload/contract.ts';

type Handler = (input: any) => unknown | Promise<unknown>;
/** Scripted answers, typed against the contract: a fixture missing a field fails to compile. */
export type Handlers = { [K in OperationName]?: (input: OperationInput<K>) => OperationResult<K> | Promise<OperationResult<K>> };

export interface FakeApi extends ArchivistApi {
  calls: { op: OperationName; input: any }[];
  on(op: OperationName, handler: Handler): FakeApi;
  emit(event: AppEvent): void;
}

export function fakeApi(handlers: Handlers = {}): FakeApi {
  const table = new Map<OperationName, Handler>(Object.entries(defaults()) as [OperationName, Handler][]);
  for (const [k, v] of Object.entries(handlers)) table.set(k as OperationName, v as Handler);
  const listeners = new Set<(e: AppEvent) => void>();
  const api: FakeApi = {
    calls: [],
    async call(op, input) {
      api.calls.push({ op, input });
      const h = table.get(op);
      if (!h) return { ok: false, error: { code: 'unavailable', message: `${op} not scripted` } } as Outcome<never>;
      try {
        return { ok: true, value: await h(input) } as Outcome<never>;
      } catch (err) {
        const e = err as { code?: string; message: string };
        return { ok: false, error: { code: e.code ?? 'internal', message: e.message } } as Outcome<never>;
      }
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    on(op, handler) {
      table.set(op, handler);
      return api;
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
  };
  return api;
}

export function fail(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}

function defaults(): Partial<Record<OperationName, Handler>> {
  return {
    'app.info': () => ({ version: '0.1.0', host: 'browser', platform: 'linux-x64', data_dir: '/data', sandbox_available: true, features: [] }),
    'settings.get': () => ({ data_dir: '/data', time_zone: 'UTC', theme: 'light', start_at_login: false }),
    'workspace.status': () => ({ first_run: false, profiles: 1, archived_messages: 1234, sandbox: null }),
    'profiles.list': () => [],
    'collections.list': () => [],
    'archive.channels': () => [],
    'archive.users': () => [],
  };
}

export function message(i: number, over: Partial<MessageView> = {}): MessageView {
  return {
    message_id: `m${i}`,
    cid: 'team:general',
    user_id: 'alice',
    user_name: 'Alice Martin',
    created_at: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    updated_at: null,
    deleted_at: null,
    type: 'regular',
    text: `message number ${i}`,
    parent_id: null,
    reply_count: 0,
    pinned: false,
    edited: false,
    versions: 1,
    reactions: [],
    attachments: [],
    ...over,
  };
}

export function hit(i: number, over: Partial<SearchHit> = {}): SearchHit {
  return {
    message_id: `m${i}`,
    cid: 'team:general',
    channel_name: 'General',
    channel_label: 'General',
    user_id: 'alice',
    user_name: 'Alice Martin',
    created_at: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    type: 'regular',
    parent_id: null,
    deleted: false,
    edited: false,
    snippet: `the <mark>contract</mark> number ${i}`,
    ...over,
  };
}
