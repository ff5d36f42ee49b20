/**
 * Binds the real core modules to the facade's ports. Each neighbour lands in its own issue
 * (profiles/secrets #4, Stream client + sandbox #3, jobs #5); until one is present its operations
 * answer `unavailable` and the UI says so.
 */
import type { JobEngine } from '../jobs/types.ts';
import type { ArchivePort, ProfilesPort, SandboxPort, StreamBrowserPort } from './ports.ts';

export interface WireOptions {
  dataDir: string;
  secretStore?: unknown;
  sandbox: boolean;
  archive: () => Promise<ArchivePort>;
  log: (message: string, err?: unknown) => void;
}

export interface WiredServices {
  profiles?: ProfilesPort;
  stream?: StreamBrowserPort;
  jobs?: JobEngine;
  sandbox?: SandboxPort;
  close(): Promise<void>;
}

export async function wireServices(_opts: WireOptions): Promise<WiredServices> {
  return { close: async () => {} };
}
