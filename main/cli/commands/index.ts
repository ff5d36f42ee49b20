import type { Command } from '../command.ts';
import { commandHelp, type CommandHelp } from './help.ts';

/**
 * A command whose module is imported only when it runs: help and usage come from ./help.ts, so
 * `archivist search` never loads stream-chat, the sandbox or the web server (each import costs
 * start-up time on every CLI run).
 */
function lazy(help: CommandHelp, load: () => Promise<Command>): Command {
  return {
    name: help.name,
    summary: help.summary,
    usage: help.usage,
    run: async (argv, io) => (await load()).run(argv, io),
  };
}

/**
 * Every `archivist` command. Add a new one here (one module per command in this folder, its
 * name/summary/usage in ./help.ts).
 */
export const commands: Command[] = [
  lazy(commandHelp.import, async () => (await import('./import.ts')).importCommand),
  lazy(commandHelp.search, async () => (await import('./search.ts')).searchCommand),
  lazy(commandHelp.context, async () => (await import('./context.ts')).contextCommand),
  lazy(commandHelp.stats, async () => (await import('./stats.ts')).statsCommand),
  lazy(commandHelp.serve, async () => (await import('./serve.ts')).serveCommand),
  lazy(commandHelp.export, async () => (await import('./export.ts')).exportCommand),
  lazy(commandHelp.jobs, async () => (await import('./jobs.ts')).jobsCommand),
  lazy(commandHelp.report, async () => (await import('./report.ts')).reportCommand),
  lazy(commandHelp.sandbox, async () => (await import('./sandbox.ts')).sandboxCommand),
  lazy(commandHelp.profile, async () => (await import('./profile.ts')).profileCommand),
];
