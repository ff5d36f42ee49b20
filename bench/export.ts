/**
 * bench:export — export N channels from the sandbox and compare the time with the lower bound set
 * by batching (25 channels per request), Stream's export rate limit (60/min with 2/s bursts) and
 * each task's own latency (bench/lib/export-bound.ts defines the bounds).
 *   npm run bench:export [-- --channels 500] [-- --latency 3000] [-- --client-only] [-- --timeline]
 *
 * `--timeline` also prints every job's transitions, every Stream call (start + round trip) and
 * when each export request reached the sandbox. `load` in the header is the 1/5/15-minute load
 * average at the end of the run (2-core machine shared with other benchmarks: compare with it).
 *
 * Default: the whole collection through the durable job engine (main/core/jobs), as the app and
 * `archivist export channels --wait` run it — request → poll → download → verify → import into a
 * fresh temporary data dir — until the collection report is complete. `--client-only`: the export
 * client alone (request → every task completed with its URL), the issue-3 measurement.
 *
 * Exits non-zero when the measured ratio (end to end, or links for --client-only) > 1.2, when the
 * client caused a single 429, or when the collection report is not complete.
 */
import { parseArgs } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startSandbox, type SandboxStats, type LimitConfig } from '../main/sandbox/server/index.ts';
import { createDataset } from '../main/sandbox/data/index.ts';
import { createStreamClient, MAX_EXPORT_BATCH } from '../main/core/stream/index.ts';
import { openStateDb } from '../main/core/state/index.ts';
import { openArchive } from '../main/core/archive/index.ts';
import { archivePort } from '../main/core/jobs/archive-adapter.ts';
import { createJobEngine, DEFAULT_LIMITS } from '../main/core/jobs/engine.ts';
import { bestMakespan, isolatedFileTimings, sendSchedule, type FileTiming } from './lib/export-bound.ts';
import { table } from './lib/data.ts';

type BenchStats = SandboxStats & { responses429: number };

// The sandbox runs in a worker thread, like a remote service: its CPU work (writing export files)
// must not slow the client's event loop and blur the measurement.
if (!isMainThread) {
  const o = workerData as { seed: number; messages: number; channels: number; users: number; latency: { pendingMs: number; runningMs: number; perThousandMessagesMs: number } };
  const sb = await startSandbox(o);
  parentPort!.postMessage({ type: 'ready', baseURL: sb.baseURL, apiKey: sb.apiKey, apiSecret: sb.apiSecret, limit: sb.control.rateLimit('ExportChannels') });
  parentPort!.on('message', async (m: { type: string }) => {
    if (m.type === 'stats') {
      const stats: BenchStats = { ...sb.control.stats(), responses429: sb.control.requests().filter((r) => r.status === 429).length };
      parentPort!.postMessage({ type: 'stats', stats });
    }
    if (m.type === 'arrivals') {
      // Wall-clock arrival of each export request at the server (--timeline).
      parentPort!.postMessage({ type: 'arrivals', at: sb.control.requests().filter((r) => r.endpoint === 'ExportChannels').map((r) => r.at) });
    }
    if (m.type === 'reset') {
      sb.control.resetStats();
      parentPort!.postMessage({ type: 'reset' });
    }
    if (m.type === 'close') {
      await sb.close();
      process.exit(0);
    }
  });
} else {

const { values } = parseArgs({
  options: {
    channels: { type: 'string', default: '500' },
    latency: { type: 'string', default: '3000' },
    'messages-per-channel': { type: 'string', default: '100' },
    'client-only': { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
  },
});
const N = Number(values.channels);
const latencyMs = Number(values.latency);
const perChannel = Number(values['messages-per-channel']);
const clientOnly = values['client-only'];
if (!Number.isInteger(N) || N < 1) throw new Error('--channels must be a positive integer');

// Realistic task latency: a third pending, the rest running, plus 100 ms per 1,000 messages.
const latency = { pendingMs: Math.round(latencyMs / 3), runningMs: latencyMs - Math.round(latencyMs / 3), perThousandMessagesMs: 100 };
const total = Math.ceil(N * 1.06) + 10; // ~3% of generated channels are soft-deleted (not listed)
const opts = { seed: 7, messages: total * perChannel, channels: total, users: 300, latency };
const worker = new Worker(new URL(import.meta.url), { workerData: opts });
const ask = <T,>(type: string): Promise<T> =>
  new Promise((resolve) => {
    const on = (m: { type: string } & T) => {
      if (m.type === type) {
        worker.off('message', on);
        resolve(m);
      }
    };
    worker.on('message', on);
    if (type !== 'ready') worker.postMessage({ type });
  });
const sandbox = await ask<{ baseURL: string; apiKey: string; apiSecret: string; limit: Required<LimitConfig> }>('ready');
const client = createStreamClient({ apiKey: sandbox.apiKey, apiSecret: sandbox.apiSecret, baseURL: sandbox.baseURL });
const ds = createDataset(opts); // same seed: the same data the worker serves
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
let dataDir: string | null = null;

try {
  await client.testConnection();
  const t0 = performance.now();
  const cids = (await client.listChannelCids()).slice(0, N);
  const listMs = performance.now() - t0;
  if (cids.length < N) throw new Error(`only ${cids.length} channels listed`);
  await ask('reset');

  const batches: string[][] = [];
  for (let i = 0; i < cids.length; i += MAX_EXPORT_BATCH) batches.push(cids.slice(i, i + MAX_EXPORT_BATCH));
  const limit = sandbox.limit;
  const sends = sendSchedule(batches.length, limit);
  const taskMs = (batch: string[]) => latency.pendingMs + latency.runningMs + (latency.perThousandMessagesMs * batch.reduce((a, c) => a + ds.messageCount(c), 0)) / 1000;
  const linksBound = bestMakespan(sends, batches.map(taskMs));
  const messages = cids.reduce((a, c) => a + ds.messageCount(c), 0);
  const header = () => {
    console.log(`bench:export${clientOnly ? ' --client-only' : ''} — ${N} channels (${messages.toLocaleString('en')} messages) in ${batches.length} batches of ≤ ${MAX_EXPORT_BATCH}; ${os.availableParallelism()} cores, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`  ExportChannels ${limit.limit}/min, burst ${limit.burst}/${limit.burstWindowMs} ms (last request allowed at ${s(sends.at(-1)!)}); task latency ${latency.pendingMs}+${latency.runningMs} ms + ${latency.perThousandMessagesMs} ms/1k msgs; listing took ${listMs.toFixed(0)} ms (not timed)`);
  };

  if (clientOnly) {
    const start = performance.now();
    const results = await client.exportAll({ channels: cids.map((cid) => ({ cid })), options: { version: 'v2' } });
    const elapsed = performance.now() - start;
    const { stats } = await ask<{ stats: BenchStats }>('stats');
    const ratio = elapsed / linksBound;
    header();
    console.log(table([
      ['channels', 'batches', 'links bound', 'links ready', 'ratio', 'requests', '429 by client', 'tasks re-requested'],
      [N, batches.length, s(linksBound), s(elapsed), ratio.toFixed(3), JSON.stringify(stats.requests), stats.totalViolations, results.filter((r) => r.attempts > 1).length],
    ]));
    if (ratio > 1.2 || stats.totalViolations > 0 || results.length !== batches.length) {
      console.error('bench:export FAILED the target (ratio ≤ 1.2, no 429 caused by the client, every batch exported)');
      process.exitCode = 1;
    }
  } else {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'archivist-bench-export-'));
    const db = openStateDb(dataDir);
    const archive = await openArchive(dataDir, { readers: 1 });
    const port = archivePort(archive, dataDir);
    let linksReadyAt = 0;
    let firstLinkAt = Infinity;
    let start = 0;
    let startWall = 0;
    const timeline: string[][] = [];
    const calls: string[] = [];
    // --timeline: every Stream call's start and round trip, to see where the time goes.
    const traced = new Proxy(client, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv);
        if (prop !== 'exportChannels' && prop !== 'getTask') return typeof v === 'function' ? v.bind(target) : v;
        return async (...args: unknown[]) => {
          const t = performance.now();
          try {
            return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            calls.push(`${prop === 'getTask' ? 'poll' : 'EXPORT'} ${((t - start) / 1000).toFixed(2)}+${(performance.now() - t).toFixed(0)}ms`);
          }
        };
      },
    });
    const engine = createJobEngine({
      dataDir,
      db,
      archive: port,
      // The bench's client already holds the sandbox's credentials: no profile or keychain needed.
      api: () => (values.timeline ? traced : client),
      hooks: {
        onTransition: (job, from) => {
          (timeline[job.seq] ??= []).push(`${from}→${job.state} ${((performance.now() - start) / 1000).toFixed(2)}`);
          if (from === 'waiting' && job.state === 'downloading') {
            const t = performance.now() - start;
            linksReadyAt = Math.max(linksReadyAt, t);
            firstLinkAt = Math.min(firstLinkAt, t);
          }
        },
      },
    });
    try {
      await engine.start();
      start = performance.now();
      startWall = Date.now();
      const col = await engine.createCollection({ kind: 'channels', profile_id: 'bench', channels: { cids }, format: 'v2', label: 'bench:export' });
      const done = await engine.waitFor(col.id);
      const elapsed = performance.now() - start;
      const report = await engine.report(col.id);
      const { stats } = await ask<{ stats: BenchStats }>('stats');

      // The minimum cost of one file, measured now, alone, with the engine's building blocks.
      const timings: FileTiming[] = await isolatedFileTimings(
        done.jobs.map((j) => j.task_id!).filter(Boolean),
        async (taskId) => (await client.getTask(taskId, 'channels')).url ?? Promise.reject(new Error(`task ${taskId} has no URL`)),
      );
      const minFile = timings.reduce((a, b) => (b.total_ms < a.total_ms ? b : a));
      const e2eBound = linksBound + minFile.total_ms;
      const linksRatio = linksReadyAt / linksBound;
      const ratio = elapsed / e2eBound;
      const inFiles = report.targets.reduce((a, x) => a + x.messages_in_file, 0);
      const inArchive = report.targets.reduce((a, x) => a + (x.messages_in_archive ?? 0), 0);
      const complete = report.complete && done.state === 'complete' && report.targets.length === N && report.targets.every((x) => x.status === 'ok');

      header();
      if (values.timeline) {
        for (const [seq, ev] of timeline.entries()) if (ev) console.log(`  job ${String(seq).padStart(3)}: ${ev.join(', ')}`);
        console.log(`  calls: ${calls.join(', ')}`);
        const { at } = await ask<{ at: number[] }>('arrivals');
        console.log(`  export requests arrived at: ${at.map((a) => ((a - startWall) / 1000).toFixed(3)).join(', ')}`);
      }
      const l = engine.limits;
      console.log(`  engine limits: tasks in flight ${l.maxTasksInFlight}, downloads ${l.maxConcurrentDownloads}, imports ${l.maxConcurrentImports}, poll ${l.pollInitialMs}→${l.pollMaxMs} ms${l.pollInitialMs !== DEFAULT_LIMITS.pollInitialMs ? ' (not the default!)' : ''}`);
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      console.log(`  one file alone (download + verify + import), over ${timings.length} files: min ${minFile.total_ms.toFixed(0)} ms (${minFile.download_ms.toFixed(0)} + ${minFile.verify_ms.toFixed(0)} + ${minFile.import_ms.toFixed(0)}), median ${med(timings.map((t) => t.total_ms)).toFixed(0)} ms; ${(minFile.bytes / 1024).toFixed(0)} KiB, ${minFile.messages} messages`);
      // Fewer than the dataset holds: truncated channels' older messages are not exported by default.
      console.log(`  first link ready at ${s(firstLinkAt)}; messages in the export files ${inFiles.toLocaleString('en')}, in the archive from them ${inArchive.toLocaleString('en')}; report ${report.report_sha256.slice(0, 16)}…`);
      console.log(table([
        ['channels', 'batches', 'links bound', 'e2e bound', 'links ready', 'all imported+report', 'links ratio', 'e2e ratio', 'requests', '429 by client', 'report complete'],
        [N, batches.length, s(linksBound), s(e2eBound), s(linksReadyAt), s(elapsed), linksRatio.toFixed(3), ratio.toFixed(3), JSON.stringify(stats.requests), `${stats.totalViolations} (429s: ${stats.responses429})`, complete ? 'yes' : `NO: ${report.gaps.slice(0, 3).join('; ')}`],
      ]));
      if (ratio > 1.2 || stats.totalViolations > 0 || !complete) {
        console.error('bench:export FAILED the target (end-to-end ratio ≤ 1.2, no 429 caused by the client, a complete report)');
        process.exitCode = 1;
      }
    } finally {
      await engine.stop();
      port.close();
      await archive.close();
      db.close();
    }
  }
} catch (err) {
  console.error(`bench:export failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  client.close();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  worker.postMessage({ type: 'close' });
}
}
