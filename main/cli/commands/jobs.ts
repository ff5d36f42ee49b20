import { parseArgs } from 'node:util';
import { CliError, printJson, UsageError, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir } from '../archive-access.ts';
import { openJobs } from '../../core/jobs/open.ts';
import { mb, printOutcome, progressPrinter } from './export.ts';


export const jobsCommand: Command = {
  ...commandHelp.jobs,
  async run(argv, io) {
    const sub = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'list';
    const rest = sub === 'list' && argv[0] !== 'list' ? argv : argv.slice(1);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { ...dataDirOption, json: { type: 'boolean' }, active: { type: 'boolean' } },
    });
    const dataDir = resolveDataDir(io, values['data-dir']);
    if (!['list', 'retry', 'cancel', 'remove', 'run'].includes(sub)) throw new UsageError(`Unknown jobs subcommand "${sub}".`);
    const needsId = sub === 'retry' || sub === 'cancel' || sub === 'remove';
    if (needsId && positionals.length !== 1) throw new UsageError(`Name the job or collection to ${sub}.`);
    const jobs = await openJobs(dataDir, { env: io.env, run: sub === 'run' });
    try {
      const id = positionals[0];
      const act = <T>(fn: () => T): T => {
        try {
          return fn();
        } catch (err) {
          throw new CliError((err as Error).message, { code: 'not_found' });
        }
      };
      switch (sub) {
        case 'list': {
          const list = jobs.engine.list(values.active ? { active: true } : {});
          if (values.json) printJson(io, { collections: list });
          else if (!list.length) io.stdout('No collections yet. Start one with `archivist export channels …`.\n');
          else
            for (const c of list) {
              io.stdout(`${c.id}  ${c.state.padEnd(10)} ${c.kind} ×${c.totals.targets}  ${c.totals.by_state.done ?? 0}/${c.totals.jobs} jobs done  ${mb(c.totals.bytes_downloaded)}  ${c.created_at}${c.label ? `  "${c.label}"` : ''}\n`);
              if (c.summary) io.stdout(`    ${c.summary}\n`);
              for (const j of c.jobs) {
                const extra = j.error ? `  ${j.error.message}` : j.task_id ? `  task ${j.task_id}` : '';
                io.stdout(`    ${j.id}  #${j.seq}  ${j.state.padEnd(11)} ${j.targets.length} ${c.kind}${extra}\n`);
              }
            }
          return 0;
        }
        case 'retry':
        case 'cancel': {
          const changed = act(() => (sub === 'retry' ? jobs.engine.retry(id) : jobs.engine.cancel(id)));
          if (values.json) printJson(io, { jobs: changed });
          else if (!changed.length) io.stdout(`Nothing to ${sub} in ${id}.\n`);
          else for (const j of changed) io.stdout(`${j.id}: ${j.state}\n`);
          if (sub === 'retry' && changed.length && !jobs.runningElsewhere && !values.json) io.stdout('Run `archivist jobs run` (or open Archivist) to carry on.\n');
          return 0;
        }
        case 'remove':
          act(() => jobs.engine.remove(id));
          if (values.json) printJson(io, { removed: id });
          else io.stdout(`Removed ${id} (its evidence files stay).\n`);
          return 0;
        case 'run': {
          if (jobs.engine.observer) throw new CliError('The Archivist app (or another archivist process) is already running these jobs.');
          const active = jobs.engine.list({ active: true });
          const offs = values.json ? [] : active.map((c) => progressPrinter(io, c.id, jobs.engine));
          const results = [];
          for (const c of active) results.push(await jobs.engine.waitFor(c.id));
          offs.forEach((f) => f());
          if (values.json) printJson(io, { collections: results });
          else if (!results.length) io.stdout('Nothing to run.\n');
          else results.forEach((c) => printOutcome(io, c));
          return results.every((c) => c.state === 'complete') ? 0 : 1;
        }
      }
      return 2;
    } finally {
      await jobs.close();
    }
  },
};
