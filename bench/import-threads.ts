/**
 * Where an import's time goes, thread by thread (Linux): runs one import in a child process and
 * samples /proc/<pid>/task/<tid>/stat every second, printing each busy thread's share of a core
 * per second, then the totals. Read it with the NOTES ("Import: third session").
 *   node bench/import-threads.ts [file]   (default: the cached 1M-message v2 export)
 * Threads are named by their role when the import tells (ARCHIVIST_IMPORT_TIMINGS prints the
 * import thread's own split on stderr); otherwise by Linux thread id.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchExport, warm } from './lib/data.ts';

const file = process.argv[2] ?? await benchExport(1_000_000, 'v2');
warm(file); // a cold read runs at disk speed and would hide everything else
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-threads-'));
const child = spawn(process.execPath, [path.join(import.meta.dirname, 'lib', 'import-child.ts'), dir, file], {
  env: { ...process.env, ARCHIVIST_IMPORT_TIMINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
let err = '';
child.stdout.on('data', (d) => { out += d; });
child.stderr.on('data', (d) => { err += d; });

// Kernel time of each thread (last sample): on this VM fresh page-cache pages are expensive, so
// the sys share says how much of a thread's time is file writing rather than its own work.
const sys = new Map<string, number>();
const ticks = (tid: string): number | null => {
  try {
    const s = fs.readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    sys.set(tid, Number(f[12]));
    return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (1/100 s)
  } catch {
    return null;
  }
};
const names = new Map<string, string>();
const prev = new Map<string, number>();
const rows: { t: number; d: Map<string, number>; rss: number }[] = [];
const t0 = performance.now();
// The WAL's size: it only restarts (rewriting the same pages) when a checkpoint has copied all of
// it and no reader is still on it; otherwise every commit writes fresh pages.
let walMax = 0;
const timer = setInterval(() => {
  try {
    walMax = Math.max(walMax, fs.statSync(path.join(dir, 'archive.db-wal')).size);
  } catch { /* not created yet */ }
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${child.pid}/task`);
  } catch {
    return;
  }
  const d = new Map<string, number>();
  for (const tid of tids) {
    const v = ticks(tid);
    if (v == null) continue;
    if (!names.has(tid)) names.set(tid, fs.readFileSync(`/proc/${child.pid}/task/${tid}/comm`, 'utf8').trim());
    d.set(tid, v - (prev.get(tid) ?? 0));
    prev.set(tid, v);
  }
  let rss = 0;
  try {
    rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch { /* exited */ }
  rows.push({ t: (performance.now() - t0) / 1000, d, rss });
}, 1000);
await new Promise((r) => child.on('exit', r));
clearInterval(timer);
fs.rmSync(dir, { recursive: true, force: true });

const total = new Map<string, number>();
for (const r of rows) for (const [k, v] of r.d) total.set(k, (total.get(k) ?? 0) + v);
const top = [...total.keys()].sort((a, b) => total.get(b)! - total.get(a)!).slice(0, 6);
console.log(`t (s)  ${top.map((k) => `${names.get(k)}:${k}`.padStart(18)).join('')}   all   (% of one core during that second)   RSS`);
for (const r of rows) {
  const all = [...r.d.values()].reduce((a, b) => a + b, 0);
  console.log(`${r.t.toFixed(1).padStart(5)}  ${top.map((k) => String(r.d.get(k) ?? 0).padStart(18)).join('')}  ${String(all).padStart(4)}  ${r.rss.toFixed(0).padStart(4)} MB`);
}
console.log(`CPU seconds: ${top.map((k) => `${names.get(k)}:${k} ${(total.get(k)! / 100).toFixed(2)}`).join(', ')}`);
console.log(`of which kernel: ${top.map((k) => `${names.get(k)}:${k} ${((sys.get(k) ?? 0) / 100).toFixed(2)}`).join(', ')}`);
const last = out.trim().split('\n').pop();
if (last) {
  const j = JSON.parse(last) as { took_ms: number; cpu_ms: number; max_rss_mb: number };
  console.log(`import took ${(j.took_ms / 1000).toFixed(2)} s, CPU ${(j.cpu_ms / 1000).toFixed(2)} s, peak RSS ${j.max_rss_mb.toFixed(0)} MB, largest WAL seen ${(walMax / 1e6).toFixed(0)} MB`);
}
process.stdout.write(err.split('\n').filter((l) => l.startsWith('[import]')).join('\n') + '\n');
// Phase marks (timeline.ts), in seconds since the import was asked for.
const marks = err.split('\n').filter((l) => l.startsWith('[mark] ')).map((l) => {
  const [, t, ...phase] = l.split(' ');
  return { t: Number(t), phase: phase.join(' ') };
});
if (marks.length) console.log('phases: ' + marks.map((m) => `${((m.t - marks[0].t) / 1000).toFixed(2)} s ${m.phase}`).join(' · '));
