import fs from 'node:fs';
import zlib from 'node:zlib';
import type { ExportFormat } from '../types.ts';
import { classify } from './classify.ts';

/** Thrown when a file is not a Stream export at all; nothing has been written when it is. */
export class RefusedFileError extends Error {}

export interface Detection {
  gzip: boolean;
  format: ExportFormat;
  /** v1 JSON array, v2 entity-per-line, or one JSON document (synchronous GDPR user export). */
  layout: 'array' | 'lines' | 'user-document';
}

const SAMPLE = 256 * 1024;

/** Reads the head of a file (decompressed when gzip) without reading the whole thing. */
async function head(path: string): Promise<{ gzip: boolean; bytes: Buffer }> {
  const fd = await fs.promises.open(path, 'r');
  try {
    const raw = Buffer.alloc(SAMPLE);
    const { bytesRead } = await fd.read(raw, 0, SAMPLE, 0);
    const bytes = raw.subarray(0, bytesRead);
    if (bytesRead >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      // Partial gunzip of the head: finishFlush lets a truncated stream yield what it has.
      let out: Buffer;
      try {
        out = zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      } catch (err) {
        throw new RefusedFileError(`it looks gzip-compressed but cannot be decompressed (${(err as Error).message})`);
      }
      return { gzip: true, bytes: out.subarray(0, SAMPLE) };
    }
    return { gzip: false, bytes };
  } finally {
    await fd.close();
  }
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

/**
 * Decides, from content alone, what kind of export a file is — or refuses it with a reason a
 * user can act on (empty, binary, an HTML error page, a Stream error body, unrelated JSON).
 */
export async function detectExport(path: string): Promise<Detection> {
  const stat = await fs.promises.stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new RefusedFileError(err.code === 'ENOENT' ? 'file not found' : `cannot read it (${err.code})`);
  });
  if (stat.isDirectory()) throw new RefusedFileError('it is a folder, not an export file');
  if (stat.size === 0) throw new RefusedFileError('the file is empty');
  const { gzip, bytes } = await head(path);
  if (bytes.includes(0)) throw new RefusedFileError('it is binary data, not a Stream export (JSON)');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD') && bytes.length < SAMPLE - 4) {
    throw new RefusedFileError('it is not UTF-8 text, so it cannot be a Stream export');
  }
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.length === 0) throw new RefusedFileError('the file contains only whitespace');
  const c = trimmed[0];
  if (c === '<') {
    throw new RefusedFileError(
      'it is an HTML/XML page (often an error page or an expired download link), not a Stream export',
    );
  }
  if (c === '[') {
    if (/^\[\s*(\]|\{\s*"(channel|messages|members|read)"\s*:)/.test(trimmed)) {
      return { gzip, format: 'v1', layout: 'array' };
    }
    throw new RefusedFileError('it is a JSON array, but its elements are not {channel, messages, members} channel exports');
  }
  if (c !== '{') throw new RefusedFileError('it is not JSON (a Stream export starts with "[" or "{")');
  const line = firstLine(trimmed);
  let first: unknown;
  try {
    first = JSON.parse(line);
  } catch {
    // Not a complete object on the first line: a pretty-printed single document.
    if (/^\{\s*"(user|messages|reactions)"\s*:/.test(trimmed)) return { gzip, format: 'user', layout: 'user-document' };
    throw new RefusedFileError('its first line is not a complete JSON object, so it is neither v1 nor v2 export data');
  }
  if (first && typeof first === 'object') {
    const o = first as Record<string, unknown>;
    if ('StatusCode' in o && 'code' in o && 'message' in o) {
      throw new RefusedFileError(`it is a Stream API error response, not an export: ${String(o.message)}`);
    }
    if ('user' in o && 'messages' in o && Array.isArray(o.messages)) return { gzip, format: 'user', layout: 'user-document' };
  }
  const kind = classify(first);
  if (!kind) {
    throw new RefusedFileError(
      'it is JSON, but its first line is not a Stream entity (channel, user, member, message, reaction or read state)',
    );
  }
  return { gzip, format: 'v2', layout: 'lines' };
}
