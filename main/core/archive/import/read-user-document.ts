import type { Readable } from 'node:stream';
import { classify } from './classify.ts';
import type { EntitySink } from './read-lines.ts';

const MAX = 512 * 1024 * 1024;

/**
 * The synchronous GDPR user export (`GET /users/{id}/export`): one JSON document
 * `{user, messages, reactions}`. Stream caps it at 10k messages, so it is read whole (bounded).
 */
export async function readUserDocument(stream: Readable | AsyncIterable<Buffer>, sink: EntitySink): Promise<{ lines: number; bytes: number }> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX) throw new Error('user export document larger than 512 MB; expected at most 10,000 messages');
    parts.push(chunk);
  }
  const text = Buffer.concat(parts).toString('utf8');
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    sink.reject(1, 0, `malformed or truncated user export document: ${(err as Error).message}`, text.slice(0, 200));
    return { lines: 1, bytes };
  }
  if (doc.user) sink.entity({ kind: 'user', o: doc.user as Record<string, unknown>, shape: 'bare' }, JSON.stringify(doc.user), 1, undefined, -1, -1);
  for (const m of Array.isArray(doc.messages) ? doc.messages : []) {
    const c = classify(m) ?? { kind: 'message' as const, o: m, shape: 'bare' as const };
    sink.entity(c, JSON.stringify(m), 1, undefined, -1, -1);
  }
  for (const r of Array.isArray(doc.reactions) ? doc.reactions : []) {
    sink.entity({ kind: 'reaction', o: r, shape: 'bare' }, JSON.stringify(r), 1, undefined, -1, -1);
  }
  await sink.drain(bytes, 1);
  return { lines: 1, bytes };
}
