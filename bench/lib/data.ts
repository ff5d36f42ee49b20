import fs from 'node:fs';
import path from 'node:path';
import { createDataset } from '../../main/sandbox/data/index.ts';
import { writeChannelExport } from '../../main/sandbox/data/export-writer.ts';

export const benchDir = path.resolve(import.meta.dirname, '..', '.data');

export function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

/** Generates (once, then reuses) a realistic export of N messages in the given version. */
export async function benchExport(messages: number, version: 'v1' | 'v2', seed = 7): Promise<string> {
  fs.mkdirSync(benchDir, { recursive: true });
  const file = path.join(benchDir, `export-${messages}-${seed}.${version === 'v1' ? 'json' : 'ndjson'}`);
  if (fs.existsSync(file) && fs.existsSync(file + '.ok')) return file;
  const t0 = performance.now();
  const ds = createDataset({ seed, messages });
  await writeChannelExport(file, ds, { version, shape: 'envelope', include_soft_deleted_channels: true, include_truncated_messages: true });
  fs.writeFileSync(file + '.ok', '');
  console.error(`generated ${file} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

export const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ')).join('\n');
}

/**
 * Reads a file once, untimed, so every timed pass finds it in the page cache: on this VM a cold
 * read runs at disk speed (≈ 250 MB/s, 5 s per GB) and would swamp the parse it is compared with.
 */
export function warm(file: string) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}
