/**
 * Browser mode as one call: the app core over a data dir plus the HTTP server in front of it.
 * Used by `archivist serve`, `npm start` (when Electron is absent) and the end-to-end tests.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createAppCore, type AppCore, type AppCoreOptions } from '../core/app/index.ts';
import { startWebServer, type WebServer } from './server.ts';

export const DEFAULT_RENDERER_DIR = path.resolve(import.meta.dirname, '../../dist/renderer');

export interface BrowserModeOptions {
  dataDir: string;
  port?: number;
  /** Start the sandbox workspace right away. */
  sandbox?: boolean;
  rendererDir?: string;
  secretStore?: AppCoreOptions['secretStore'];
  log?: (message: string, err?: unknown) => void;
  jobLimits?: AppCoreOptions['jobLimits'];
  sandboxLatency?: AppCoreOptions['sandboxLatency'];
}

export interface BrowserMode {
  core: AppCore;
  server: WebServer;
  url: string;
  close(): Promise<void>;
}

export function rendererBuilt(dir = DEFAULT_RENDERER_DIR): boolean {
  return fs.existsSync(path.join(dir, 'index.html'));
}

export async function startBrowserMode(opts: BrowserModeOptions): Promise<BrowserMode> {
  const core = await createAppCore({
    dataDir: opts.dataDir,
    host: 'browser',
    secretStore: opts.secretStore,
    log: opts.log,
    jobLimits: opts.jobLimits,
    sandboxLatency: opts.sandboxLatency,
  });
  let server: WebServer;
  try {
    server = await startWebServer({ core, rendererDir: opts.rendererDir ?? DEFAULT_RENDERER_DIR, port: opts.port, log: opts.log });
  } catch (err) {
    await core.close();
    throw err;
  }
  if (opts.sandbox) {
    const out = await core.invoke('workspace.startSandbox', {});
    if (!out.ok) opts.log?.(`sandbox workspace: ${out.error.message}`);
  }
  return {
    core,
    server,
    url: server.url,
    async close() {
      await server.close();
      await core.close();
    },
  };
}

/** Opens the URL in the user's browser when the machine has one; false when it cannot. */
export function openInBrowser(url: string, platform = process.platform, env = process.env): boolean {
  const cmd = platform === 'darwin' ? 'open' : platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = platform === 'win32' ? ['/c', 'start', '""', url] : [url];
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
