/**
 * Resolves app://archivist/<path> to a file of the built renderer, refusing anything outside it.
 * Pure (no electron import) so it can be tested.
 */
import path from 'node:path';
import { APP_HOST } from './ipc.ts';

export function resolveAppUrl(rendererDir: string, raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.host !== APP_HOST) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  // Hash routing: anything that is not an asset gets the app shell.
  return path.extname(file) ? file : path.join(root, 'index.html');
}
