/**
 * Lower bounds for bench:export, and the isolated per-file processing time they need.
 *
 * The bounds describe the best any exporter could do under Stream's rules with zero network
 * time and zero bookkeeping:
 * - `sendSchedule`: the earliest instants the ExportChannels limits (sliding 60/min window and
 *   2/s burst window) allow the 1st, 2nd, … request, the first one at 0.
 * - links bound: every batch waits its task latency after its request. Which batch goes in
 *   which slot is free, so we take the best pairing (longest task in the earliest slot, which
 *   minimises the latest finish by an exchange argument): min over orderings of
 *   max_k(send_k + task_k).
 * - end-to-end bound: whatever the schedule, some batch's link is ready no earlier than the
 *   links bound, and that batch's file still has to be downloaded, verified (hash + full parse)
 *   and imported. We add the *smallest* time any batch's file took for that, measured in the same
 *   run in isolation (one file at a time, nothing else running) with the very building blocks the
 *   engine uses, into a scratch data dir. Every schedule is therefore at least
 *   links bound + min_i process_i. (It ignores the archive's single writer, so it is generous.)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { downloadToFile } from '../../main/core/evidence/download.ts';
import { verifyFile } from '../../main/core/evidence/verify.ts';
import { EvidenceStore } from '../../main/core/evidence/store.ts';
import { openArchive } from '../../main/core/archive/index.ts';

export interface ExportLimit {
  limit: number;
  windowMs: number;
  burst: number;
  burstWindowMs: number;
}

export function sendSchedule(n: number, l: ExportLimit): number[] {
  const sends: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = 0;
    if (i >= l.burst) t = Math.max(t, sends[i - l.burst] + l.burstWindowMs);
    if (i >= l.limit) t = Math.max(t, sends[i - l.limit] + l.windowMs);
    sends.push(t);
  }
  return sends;
}

/** min over orderings of max_k(sends[k] + durations[π(k)]). */
export function bestMakespan(sends: number[], durations: number[]): number {
  const s = [...sends].sort((a, b) => a - b);
  const d = [...durations].sort((a, b) => b - a);
  return Math.max(...s.map((t, k) => t + d[k]));
}

export interface FileTiming {
  task_id: string;
  download_ms: number;
  verify_ms: number;
  import_ms: number;
  total_ms: number;
  bytes: number;
  messages: number;
}

/**
 * Downloads, verifies, stores and imports each task's file alone, one after the other, into a
 * scratch data dir (a fresh archive): the minimum cost of one file. `freshUrl` asks Stream for a
 * signed URL (a status call, through the client's limiter).
 */
export async function isolatedFileTimings(taskIds: string[], freshUrl: (taskId: string) => Promise<string>): Promise<FileTiming[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'archivist-bench-export-iso-'));
  const store = new EvidenceStore(dir);
  await store.init();
  const archive = await openArchive(dir, { readers: 1 });
  try {
    const out: FileTiming[] = [];
    for (const [i, taskId] of taskIds.entries()) {
      const url = await freshUrl(taskId);
      const tmp = store.tmpFile(`iso-${i}.part`);
      const t0 = performance.now();
      const dl = await downloadToFile({ url, file: tmp });
      const t1 = performance.now();
      const v = await verifyFile(tmp);
      if (!v.inspection.ok || (dl.total !== null && v.size !== dl.total)) throw new Error(`isolated run: file of task ${taskId} did not verify`);
      await store.promote(tmp, v.sha256, { hashed: true });
      const t2 = performance.now();
      const summary = await archive.importFiles([store.pathFor(v.sha256)], { sha256: v.sha256 });
      const t3 = performance.now();
      out.push({
        task_id: taskId,
        download_ms: t1 - t0,
        verify_ms: t2 - t1,
        import_ms: t3 - t2,
        total_ms: t3 - t0,
        bytes: dl.bytes,
        messages: summary.files[0]?.messages ?? 0,
      });
    }
    return out;
  } finally {
    await archive.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
