import { parseArgs } from 'node:util';
import { defaultDataDir } from '../../core/paths.ts';
import { openInBrowser, rendererBuilt, startBrowserMode } from '../../web/index.ts';
import { CliError, type Command } from '../command.ts';
import { commandHelp } from './help.ts';


export const serveCommand: Command = {
  ...commandHelp.serve,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        sandbox: { type: 'boolean', default: false },
        open: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number, not "${values.port}".`);
    if (!rendererBuilt()) io.stderr('The renderer is not built yet: run `npm run build:renderer` (npm start does it for you).\n');
    const dataDir = values['data-dir'] ?? defaultDataDir(io.env);
    const app = await startBrowserMode({
      dataDir,
      port,
      sandbox: values.sandbox,
      log: (m, err) => io.stderr(`${m}${err instanceof Error ? `: ${err.message}` : ''}\n`),
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new CliError(`Port ${port} is in use; pick another with --port or leave it out.`);
      throw err;
    });
    io.stdout(`Archivist is running in browser mode (data: ${dataDir}).\nOpen this link (it works once, for one browser):\n\n  ${app.url}\n\nPress Ctrl+C to stop.\n`);
    if (values.open && !openInBrowser(app.url)) io.stderr('No browser could be opened here; copy the link above.\n');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await app.close();
    return 0;
  },
};
