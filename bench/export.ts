/**
 * bench:export — export N channels from the sandbox through the real client and compare the time
 * with the lower bound set by batching (25 channels per request) and Stream's export rate limit
 * (60/min with 2/s bursts), plus each task's own latency.
 *   npm run bench:export [-- --channels 500] [-- --latency 3000]
 * Exits non-zero when elapsed > 1.2 × the lower bound, or if the client caused a single 429.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startSandbox, type SandboxStats, type LimitConfig } from '../main/sandbox/server/index.ts';
import { createDataset } from '../main/sandbox/data/index.ts';
import { createStreamClient, MAX_EXPORT_BATCH } from '../main/core/stream/index.ts';

// The sandbox runs in a worker thread, like a remote service: its CPU work (writing export files)
// must not slow the client's event loop and blur the measurement.
if (!isMainThread) {
  const o = workerData as { seed: number; messages: number; channels: number; users: number; latency: { pendingMs: number; runningMs: number; perThousandMessagesMs: number } };
  const sb = await startSandbox(o);
  parentPort!.postMessage({ type: 'ready', baseURL: sb.baseURL, apiKey: sb.apiKey, apiSecret: sb.apiSecret, limit: sb.control.rateLimit('ExportChannels') });
  parentPort!.on('message', async (m: { type: string }) => {
    if (m.type === 'stats') parentPort!.postMessage({ type: 'stats', stats: sb.control.stats() });
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
  },
});
const N = Number(values.channels);
const latencyMs = Number(values.latency);
const perChannel = Number(values['messages-per-channel']);
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

try {
  await client.testConnection();
  const t0 = performance.now();
  const cids = (await client.listChannelCids()).slice(0, N);
  const listMs = performance.now() - t0;
  if (cids.length < N) throw new Error(`only ${cids.length} channels listed`);
  await ask('reset');

  // Lower bound: the earliest schedule the documented limits allow (sliding windows, zero network
  // time), each batch then taking its task latency.
  const batches: string[][] = [];
  for (let i = 0; i < cids.length; i += MAX_EXPORT_BATCH) batches.push(cids.slice(i, i + MAX_EXPORT_BATCH));
  const limit = sandbox.limit;
  const sends: number[] = [];
  for (let i = 0; i < batches.length; i++) {
    let t = 0;
    if (i >= limit.burst) t = Math.max(t, sends[i - limit.burst] + limit.burstWindowMs);
    if (i >= limit.limit) t = Math.max(t, sends[i - limit.limit] + limit.windowMs);
    sends.push(t);
  }
  const taskMs = (batch: string[]) => latency.pendingMs + latency.runningMs + (latency.perThousandMessagesMs * batch.reduce((a, c) => a + ds.messageCount(c), 0)) / 1000;
  const lowerBound = Math.max(...batches.map((b, i) => sends[i] + taskMs(b)));

  const start = performance.now();
  const results = await client.exportAll({ channels: cids.map((cid) => ({ cid })), options: { version: 'v2' } });
  const elapsed = performance.now() - start;
  const { stats } = await ask<{ stats: SandboxStats }>('stats');
  const ratio = elapsed / lowerBound;
  const messages = cids.reduce((a, c) => a + ds.messageCount(c), 0);

  console.log(`bench:export — ${N} channels (${messages.toLocaleString('en')} messages) in ${batches.length} batches of ≤ ${MAX_EXPORT_BATCH}; ${os.availableParallelism()} cores, node ${process.version}`);
  console.log(`  limits         ExportChannels ${limit.limit}/min, burst ${limit.burst}/${limit.burstWindowMs} ms; task latency ${latency.pendingMs}+${latency.runningMs} ms + ${latency.perThousandMessagesMs} ms/1k msgs; poll every 1 s`);
  console.log(`  listing        ${listMs.toFixed(0)} ms (QueryChannels, keyset on created_at)`);
  console.log(`  elapsed        ${(elapsed / 1000).toFixed(2)} s  (request → every task completed with its URL)`);
  console.log(`  lower bound    ${(lowerBound / 1000).toFixed(2)} s  (last batch allowed at ${(sends.at(-1)! / 1000).toFixed(1)} s + its task latency)`);
  console.log(`  ratio          ${ratio.toFixed(3)}  (target ≤ 1.2)`);
  console.log(`  requests       ${JSON.stringify(stats.requests)}; 429 caused by the client: ${stats.totalViolations}`);
  console.log(`  tasks          ${results.length} completed, ${results.filter((r) => r.attempts > 1).length} re-requested`);
  if (ratio > 1.2 || stats.totalViolations > 0 || results.length !== batches.length) {
    console.error('bench:export FAILED the target');
    process.exitCode = 1;
  }
} catch (err) {
  console.error(`bench:export failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  client.close();
  worker.postMessage({ type: 'close' });
}
}
