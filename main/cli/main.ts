import { commands } from './commands/index.ts';
import { CliError, UsageError, type CliIO } from './command.ts';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'archivist — preserve, search and produce Stream Chat history',
    '',
    'Usage: archivist <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options: --data-dir DIR (or ARCHIVIST_DATA_DIR), --json',
    'Run `archivist <command> --help` for a command’s options.',
  ].join('\n');
}

export const defaultIO = (): CliIO => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: process.stdin,
  env: process.env,
});

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help() + '\n');
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`Unknown command "${name}".\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.stderr(`archivist ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof Error && (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.stderr(`${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    io.stderr(`archivist ${name} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
