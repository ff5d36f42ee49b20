/**
 * What the facade needs from the core modules, as narrow interfaces. `wire.ts` binds the real
 * modules (archive worker, profiles + keychain, job engine, Stream client, sandbox); the facade in
 * `index.ts` only maps contract operations onto these.
 */
import type { Archive } from '../archive/index.ts';
import type {
  ConnectionTestResult,
  ProfileView,
  RemoteChannelPage,
  RemoteUserPage,
  SandboxStatus,
} from '../../../preload/contract.ts';

/** The archive worker API (main/core/archive), used as it is. */
export type ArchivePort = Archive;

export interface ProfilesPort {
  list(): Promise<ProfileView[]>;
  add(input: { name: string; api_key: string; base_url?: string; secret: string; sandbox?: boolean }): Promise<ProfileView>;
  test(id: string): Promise<ConnectionTestResult>;
  rotate(id: string, secret: string): Promise<ProfileView>;
  remove(id: string): Promise<void>;
}

export interface StreamBrowserPort {
  channels(profileId: string, q: { query?: string; type?: string; limit: number; offset: number }): Promise<RemoteChannelPage>;
  users(profileId: string, q: { query?: string; limit: number; offset: number }): Promise<RemoteUserPage>;
}

export interface SandboxPort {
  /** Starts (or returns the running) in-process sandbox and makes sure its profile exists. */
  start(opts: { messages?: number; seed?: number }): Promise<SandboxStatus>;
  status(): SandboxStatus | null;
  close(): Promise<void>;
}
