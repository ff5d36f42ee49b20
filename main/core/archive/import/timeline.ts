/**
 * Import phase marks for profiling (ARCHIVIST_IMPORT_TIMINGS, read by bench:import-threads): one
 * stderr line per phase with the wall clock, from whichever thread reaches it.
 */
const on = !!process.env.ARCHIVIST_IMPORT_TIMINGS;
export function mark(phase: string) {
  if (on) console.error(`[mark] ${Date.now()} ${phase}`);
}
