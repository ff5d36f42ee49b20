/**
 * Streams one export file from a (signed) URL into a temporary file, hashing as it goes.
 * Resumes with a Range request when a partial file is already there and the server honours it
 * (206 with a matching Content-Range, same ETag via If-Range); otherwise restarts from byte 0.
 * Never decides that a file is complete on its own: the caller compares sizes and parses it.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';

export type DownloadErrorKind =
  /** 401/403/410 or an expiry message: the signed URL is no longer valid → ask Stream for a new one. */
  | 'expired'
  /** Connection dropped / reset / timed out / short body: retry (resume if possible). */
  | 'dropped'
  /** 404 or another unexpected status. */
  | 'http'
  /** ENOSPC / EDQUOT: the user must free space. */
  | 'disk_full'
  /** Another local write error. */
  | 'io'
  | 'aborted';

export class DownloadError extends Error {
  kind: DownloadErrorKind;
  status: number | null;
  constructor(kind: DownloadErrorKind, message: string, status: number | null = null) {
    super(message);
    this.name = 'DownloadError';
    this.kind = kind;
    this.status = status;
  }
}

export interface DownloadRequest {
  url: string;
  /** Temporary file; appended to when resuming. */
  file: string;
  /** ETag of the partial file's source, for If-Range. */
  etag?: string | null;
  signal?: AbortSignal;
  /** Called with the total bytes on disk so far (throttling is the caller's business). */
  onBytes?: (bytesOnDisk: number, total: number | null) => void;
  /** Called once the response headers are in: lets the caller persist size/etag before the body. */
  onStart?: (info: { total: number | null; etag: string | null; resumedFrom: number }) => void;
  /** Idle timeout on the socket. */
  timeoutMs?: number;
  /** Fault injection for tests (e.g. ENOSPC); runs before each write. */
  beforeWrite?: (offset: number, length: number) => void;
}

export interface DownloadResult {
  bytes: number;
  /** Size announced by the server (Content-Length or Content-Range total); null if not announced. */
  total: number | null;
  sha256: string;
  etag: string | null;
  resumedFrom: number;
  host: string;
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

function ioError(err: unknown): DownloadError {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  if (DISK_FULL.has(code)) {
    return new DownloadError('disk_full', 'The disk is full: free some space, then retry the job.');
  }
  return new DownloadError('io', `Could not write the download: ${(err as Error)?.message ?? String(err)}`);
}

async function hashExisting(file: string, hash: Hash): Promise<number> {
  let size = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  return size;
}

function parseContentRange(v: string | undefined): { start: number; total: number | null } | null {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v ?? '');
  if (!m) return null;
  return { start: Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

function request(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.get(url, { headers, signal }, resolve);
    req.setTimeout(timeoutMs, () => req.destroy(new DownloadError('dropped', `no data for ${timeoutMs} ms`)));
    req.on('error', (err) => {
      if (signal?.aborted) reject(new DownloadError('aborted', 'download cancelled'));
      else if (err instanceof DownloadError) reject(err);
      else reject(new DownloadError('dropped', `connection failed: ${err.message}`));
    });
  });
}

export async function downloadToFile(req: DownloadRequest): Promise<DownloadResult> {
  const url = new URL(req.url);
  const hash = createHash('sha256');
  let have = await hashExisting(req.file, hash);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (have > 0) {
    headers.range = `bytes=${have}-`;
    if (req.etag) headers['if-range'] = req.etag;
  }
  if (req.signal?.aborted) throw new DownloadError('aborted', 'download cancelled');
  const res = await request(url, headers, req.signal, req.timeoutMs ?? 30_000);
  const status = res.statusCode ?? 0;
  const drain = () => res.resume();

  if (status === 401 || status === 403 || status === 410) {
    drain();
    throw new DownloadError('expired', `the download link was refused (HTTP ${status}); it has probably expired`, status);
  }
  if (status === 416 && have > 0) {
    // Our partial file is at least as long as the resource: start over and let sizes decide.
    drain();
    await fs.rm(req.file, { force: true });
    throw new DownloadError('dropped', 'range not satisfiable; restarting the download', status);
  }
  if (status >= 500 || status === 429 || status === 408) {
    drain();
    throw new DownloadError('dropped', `storage answered HTTP ${status}`, status);
  }
  if (status !== 200 && status !== 206) {
    drain();
    throw new DownloadError('http', `the download failed with HTTP ${status}`, status);
  }

  let total: number | null = null;
  let resumedFrom = 0;
  let handle: fs.FileHandle;
  if (status === 206) {
    const cr = parseContentRange(res.headers['content-range']);
    if (!cr || cr.start !== have) {
      drain();
      await fs.rm(req.file, { force: true });
      throw new DownloadError('dropped', 'the server resumed at the wrong offset; restarting the download');
    }
    total = cr.total;
    resumedFrom = have;
  } else {
    // 200: full body, whatever we had is discarded.
    const len = res.headers['content-length'];
    total = len !== undefined && /^\d+$/.test(len) ? Number(len) : null;
    have = 0;
  }
  const fullHash = status === 206 ? hash : createHash('sha256');
  const etag = (res.headers.etag as string | undefined) ?? null;
  try {
    handle = await fs.open(req.file, status === 206 ? 'a' : 'w');
  } catch (err) {
    drain();
    throw ioError(err);
  }
  req.onStart?.({ total, etag, resumedFrom });

  let written = have;
  try {
    try {
      for await (const chunk of res) {
        const buf = chunk as Buffer;
        try {
          req.beforeWrite?.(written, buf.length);
          let off = 0;
          while (off < buf.length) {
            const { bytesWritten } = await handle.write(buf, off, buf.length - off);
            off += bytesWritten;
          }
        } catch (err) {
          throw ioError(err);
        }
        fullHash.update(buf);
        written += buf.length;
        req.onBytes?.(written, total);
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      if (req.signal?.aborted) throw new DownloadError('aborted', 'download cancelled');
      throw new DownloadError('dropped', `the connection dropped after ${written} bytes: ${(err as Error).message}`);
    }
    // A body that ended "cleanly" but short of the announced size is a dropped connection too.
    if (res.readableAborted || (!res.complete && total !== null && written < total)) {
      throw new DownloadError('dropped', `the connection dropped after ${written} of ${total} bytes`);
    }
    if (total !== null && written < total) {
      throw new DownloadError('dropped', `received ${written} of ${total} bytes`);
    }
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    if (err instanceof DownloadError) throw err;
    throw ioError(err);
  }
  await handle.close();
  return { bytes: written, total, sha256: fullHash.digest('hex'), etag, resumedFrom, host: url.host };
}
