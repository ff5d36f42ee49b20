import { parseArgs } from 'node:util';
import { CliError, printJson, UsageError, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir, withArchive } from '../archive-access.ts';
import { ArchiveError } from '../../core/archive/index.ts';

export const contextCommand: Command = {
  ...commandHelp.context,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { ...dataDirOption, json: { type: 'boolean' }, before: { type: 'string' }, after: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('Give exactly one message id.');
    const num = (v: string | undefined, d: number) => {
      const n = v === undefined ? d : Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 500) throw new UsageError('--before/--after must be whole numbers from 0 to 500.');
      return n;
    };
    try {
      const r = await withArchive(resolveDataDir(io, values['data-dir']), (a) =>
        a.context({ message_id: positionals[0], before: num(values.before, 5), after: num(values.after, 5) }));
      if (values.json) printJson(io, r);
      else {
        io.stdout(`${r.channel_name ?? r.cid} (${r.cid})\n${r.has_more_before ? '  …\n' : ''}`);
        for (const m of r.messages) {
          const mark = m.message_id === r.anchor ? '>' : ' ';
          io.stdout(`${mark} ${m.created_at}  ${m.user_name ?? m.user_id ?? '?'}: ${m.text}${m.deleted_at ? ' [deleted]' : ''}${m.edited ? ' [edited]' : ''}\n`);
        }
        if (r.has_more_after) io.stdout('  …\n');
      }
      return 0;
    } catch (err) {
      if (err instanceof ArchiveError && err.code === 'not_found') throw new CliError(err.message);
      throw err;
    }
  },
};
