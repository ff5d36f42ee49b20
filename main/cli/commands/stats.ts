import { parseArgs } from 'node:util';
import { printJson, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir, withArchive } from '../archive-access.ts';

export const statsCommand: Command = {
  ...commandHelp.stats,
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { ...dataDirOption, json: { type: 'boolean' } } });
    const dataDir = resolveDataDir(io, values['data-dir']);
    const s = await withArchive(dataDir, (a) => a.stats());
    if (values.json) printJson(io, { data_dir: dataDir, ...s });
    else {
      io.stdout(`Archive in ${dataDir}\n`);
      for (const [k, v] of Object.entries(s)) io.stdout(`  ${k.replace(/_/g, ' ')}: ${typeof v === 'number' ? v.toLocaleString('en') : v}\n`);
    }
    return 0;
  },
};
