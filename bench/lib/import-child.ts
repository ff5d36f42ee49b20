// Runs one import in a fresh process so its peak RSS (all threads) can be reported.
import { openArchive } from '../../main/core/archive/index.ts';

const [dataDir, file] = process.argv.slice(2);
const archive = await openArchive(dataDir, { readers: 1 });
const c0 = process.cpuUsage();
const t0 = performance.now();
const summary = await archive.importFiles([file]);
const took = performance.now() - t0;
const cpu = process.cpuUsage(c0);
await archive.close();
process.stdout.write(JSON.stringify({
  took_ms: took, cpu_ms: (cpu.user + cpu.system) / 1000, max_rss_mb: process.resourceUsage().maxRSS / 1024, summary,
}) + '\n');
