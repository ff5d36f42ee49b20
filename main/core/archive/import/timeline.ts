import fs from 'node:fs';

/**
 * Import phase marks for profiling (ARCHIVIST_IMPORT_TIMINGS, read by bench:import-threads): one
 * stderr line per phase with the wall clock, from whichever thread reaches it. Written straight
 * to the file descriptor: a worker's console output goes through the main thread and is lost
 * when the worker is ended.
 */
const on = !!process.env.ARCHIVIST_IMPORT_TIMINGS;
export function mark(phase: string) {
  if (on) fs.writeSync(2, `[mark] ${Date.now()} ${phase}\n`);
}
