/** What every CLI command gets: its own arguments and where to write (injectable for tests). */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin?: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** e.g. "import" or "profile" (subcommands parse their own argv). */
  name: string;
  summary: string;
  usage: string;
  run: (argv: string[], io: CliIO) => Promise<number>;
}

/** A user mistake on the command line: printed with usage, exit code 2. */
export class UsageError extends Error {}

/** A failure the user can act on: printed without a stack trace, exit code 1 (or `exitCode`). */
export class CliError extends Error {
  exitCode: number;
  code: string;
  constructor(message: string, opts: { exitCode?: number; code?: string } = {}) {
    super(message);
    this.exitCode = opts.exitCode ?? 1;
    this.code = opts.code ?? 'error';
  }
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + '\n');
}
