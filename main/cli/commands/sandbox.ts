import { parseArgs } from 'node:util';
import { startSandbox } from '../../sandbox/server/index.ts';
import { parseFaults } from '../../sandbox/server/faults.ts';
import { CliError, UsageError, printJson, type Command } from '../command.ts';
import { commandHelp } from './help.ts';


export const sandboxCommand: Command = {
  ...commandHelp.sandbox,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        seed: { type: 'string' },
        messages: { type: 'string' },
        faults: { type: 'string' },
        latency: { type: 'string' },
        'api-key': { type: 'string' },
        'api-secret': { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const int = (name: string, v: string | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => {
      if (v === undefined) return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number between ${min} and ${max}, not "${v}".`);
      return n;
    };
    const port = int('port', values.port, 0, 0, 65535);
    const seed = int('seed', values.seed, 1);
    const messages = int('messages', values.messages, 5000, 0, 50_000_000);
    const latency = int('latency', values.latency, 3000);
    if (values.faults) {
      try {
        parseFaults(values.faults);
      } catch (err) {
        throw new UsageError(`--faults: ${(err as Error).message}`);
      }
    }
    const sandbox = await startSandbox({
      port,
      seed,
      messages,
      faults: values.faults,
      apiKey: values['api-key'],
      apiSecret: values['api-secret'],
      dataDir: values['data-dir'],
      latency: { pendingMs: Math.round(latency / 3), runningMs: latency - Math.round(latency / 3) },
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new CliError(`Port ${port} is in use; pick another with --port or leave it out.`);
      throw err;
    });
    const ds = sandbox.dataset;
    const info = {
      baseURL: sandbox.baseURL,
      apiKey: sandbox.apiKey,
      apiSecret: sandbox.apiSecret,
      seed,
      messages,
      channels: ds.channels.length,
      users: ds.users.length,
      faults: values.faults ?? null,
    };
    if (values.json) printJson(io, info);
    else {
      io.stdout(
        [
          `Sandbox Stream server running (seed ${seed}: ${messages} messages, ${info.channels} channels, ${info.users} users).`,
          '',
          `  Base URL    ${info.baseURL}`,
          `  API key     ${info.apiKey}`,
          `  API secret  ${info.apiSecret}`,
          values.faults ? `  Faults      ${values.faults}` : '',
          '',
          'To collect from it, register it as a profile (SECRET = the API secret above; it goes to the system keychain):',
          `  printf %s "$SECRET" | archivist profile add --name Sandbox --api-key ${info.apiKey} --base-url ${info.baseURL} --secret-stdin`,
          '  archivist export channels --profile Sandbox --all --wait',
          '',
          'Press Ctrl+C to stop.',
          '',
        ].filter((l, i, a) => l !== '' || a[i - 1] !== '').join('\n'),
      );
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await sandbox.close();
    return 0;
  },
};
