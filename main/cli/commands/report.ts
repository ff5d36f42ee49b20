import { parseArgs } from 'node:util';
import { CliError, printJson, UsageError, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir } from '../archive-access.ts';
import { openJobs } from '../../core/jobs/open.ts';

export const reportCommand: Command = {
  ...commandHelp.report,
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...dataDirOption, json: { type: 'boolean' } } });
    if (positionals.length !== 1) throw new UsageError('Name the collection (see `archivist jobs`).');
    const dataDir = resolveDataDir(io, values['data-dir']);
    const jobs = await openJobs(dataDir, { env: io.env, run: false });
    try {
      let r;
      try {
        r = await jobs.engine.report(positionals[0]);
      } catch (err) {
        throw new CliError((err as Error).message, { code: 'not_found' });
      }
      if (values.json) {
        printJson(io, r);
        return r.complete ? 0 : 1;
      }
      const c = r.collection;
      io.stdout(`Collection ${c.id} (${c.kind}, profile ${c.profile_id})${c.label ? ` "${c.label}"` : ''}: ${c.state}${r.complete ? ', complete' : ''}\n`);
      io.stdout(`Requested: ${JSON.stringify(c.request)}\n`);
      io.stdout(`Jobs: ${r.jobs.length}; evidence files: ${r.evidence.length}; ${c.kind}: ${r.targets.length}, ok: ${r.targets.filter((t) => t.status === 'ok').length}\n`);
      for (const e of r.evidence) io.stdout(`  evidence ${e.sha256}  ${e.size} bytes  task ${e.task_id}  from ${e.url_host}  ${e.downloaded_at}\n`);
      const bad = r.targets.filter((t) => t.status !== 'ok');
      for (const t of bad.slice(0, 50)) io.stdout(`  ${t.status.padEnd(9)} ${t.target}: ${t.note ?? ''}\n`);
      if (bad.length > 50) io.stdout(`  … and ${bad.length - 50} more (use --json)\n`);
      if (r.rejected.length) io.stdout(`Rejected lines: ${r.rejected.length}\n`);
      for (const x of r.rejected.slice(0, 20)) io.stdout(`  ${x.file_sha256.slice(0, 12)}… line ${x.line}: ${x.reason}\n`);
      if (r.gaps.length) {
        io.stdout('Gaps:\n');
        for (const g of r.gaps) io.stdout(`  - ${g}\n`);
      }
      io.stdout(`Report SHA-256: ${r.report_sha256}\n`);
      return r.complete ? 0 : 1;
    } finally {
      await jobs.close();
    }
  },
};
