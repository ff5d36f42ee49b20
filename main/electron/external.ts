/**
 * `shell.openExternal` is only ever called with a URL that parses, is https, and whose host is
 * on this list (or a subdomain of it). Everything else is refused: file:, javascript:, custom
 * schemes, http, credentials in the URL.
 */
export const EXTERNAL_ALLOW_LIST = ['getstream.io', 'stream-io-api.com', 'github.com'];

export function allowedExternalUrl(raw: string, allow: readonly string[] = EXTERNAL_ALLOW_LIST): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return null;
  const host = url.hostname.toLowerCase();
  return allow.some((h) => host === h || host.endsWith(`.${h}`)) ? url.toString() : null;
}
