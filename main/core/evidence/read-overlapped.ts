import type { FileHandle } from 'node:fs/promises';

/**
 * Reads a whole file through two reused buffers, the next read in flight while `onChunk` handles
 * the current chunk. Each asynchronous read is a thread-pool round trip (≈ 2 ms on a slow-waking
 * VM), so reads are few, large and overlapped; reusing two buffers leaves no garbage behind a
 * gigabyte file (V8 frees dead Buffers late). A buffer is read into again only once what
 * `onChunk` returned for it has settled. Returns the number of bytes read.
 */
export async function readOverlapped(
  fh: FileHandle, bufs: [Buffer, Buffer], onChunk: (chunk: Buffer, pos: number) => Promise<void> | void,
): Promise<number> {
  const read = (buf: Buffer, pos: number) => {
    const p = fh.read(buf, 0, buf.length, pos);
    p.catch(() => undefined); // awaited below, unless a failed onChunk ends the loop first
    return p;
  };
  let i = 0;
  let pos = 0;
  let reading = read(bufs[0], 0);
  let handling: Promise<void> | void = undefined;
  for (;;) {
    const { bytesRead } = await reading;
    if (bytesRead === 0) break;
    const chunk = bufs[i].subarray(0, bytesRead);
    await handling; // the other buffer's chunk must be handled before it is read into
    i ^= 1;
    reading = read(bufs[i], pos + bytesRead);
    handling = onChunk(chunk, pos);
    handling?.catch(() => undefined); // awaited on the next turn (a failed read may come first)
    pos += bytesRead;
  }
  await handling;
  return pos;
}
