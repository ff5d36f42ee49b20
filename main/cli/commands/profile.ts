/**
 * `archivist profile …`: Stream app profiles. Secrets are read from stdin only (never argv: that
 * ends up in shell history and `ps`), go straight to the OS keychain, and are never printed.
 */
import { parseArgs } from 'node:util';
import type { ReadStream } from 'node:tty';
import { CliError, printJson, UsageError, type CliIO, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir } from '../archive-access.ts';
import { openStateDb } from '../../core/state/index.ts';
import { ProfileError, ProfileService, type Profile } from '../../core/profiles/index.ts';
import { KeychainError, createSecretStore } from '../../core/secrets/index.ts';
import { createLogger, logFilePath, registerSecret } from '../../core/log/index.ts';


const MAX_SECRET_BYTES = 4096;

export const profileCommand: Command = {
  ...commandHelp.profile,
  async run(argv, io) {
    const sub = argv[0];
    if (!sub || sub.startsWith('-')) throw new UsageError('Name a profile subcommand: add, list, test, rotate, set-base-url or remove.');
    if (!['add', 'list', 'test', 'rotate', 'set-base-url', 'remove'].includes(sub)) throw new UsageError(`Unknown profile subcommand "${sub}".`);
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: {
        ...dataDirOption,
        json: { type: 'boolean' },
        name: { type: 'string' },
        'api-key': { type: 'string' },
        'base-url': { type: 'string' },
        'secret-stdin': { type: 'boolean' },
        force: { type: 'boolean' },
      },
    });
    const takesRef = sub === 'test' || sub === 'rotate' || sub === 'remove';
    if (takesRef && positionals.length !== 1) throw new UsageError(`Name the profile to ${sub} (its name or id).`);
    if (sub === 'set-base-url' && positionals.length !== 2) throw new UsageError('Name the profile (its name or id) and its new base URL: archivist profile set-base-url NAME URL');
    if (!takesRef && sub !== 'set-base-url' && positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
    if ((sub === 'add' || sub === 'rotate') && !values['secret-stdin'])
      throw new UsageError('Pass --secret-stdin and give the secret on standard input (never on the command line, where shell history and `ps` would keep it).');

    const dataDir = resolveDataDir(io, values['data-dir']);
    const log = createLogger({ file: logFilePath(dataDir) }).child({ entry: 'cli', command: `profile ${sub}` });
    const db = openStateDb(dataDir);
    const secrets = createSecretStore(io.env);
    const service = new ProfileService({ db, secrets, log });
    try {
      switch (sub) {
        case 'add': {
          if (!values.name) throw new UsageError('--name is required.');
          if (!values['api-key']) throw new UsageError('--api-key is required.');
          const secret = await readSecret(io);
          const p = await service.add({ name: values.name, api_key: values['api-key'], base_url: values['base-url'], secret });
          if (values.json) printJson(io, { profile: p });
          else io.stdout(`Added profile "${p.name}" (${p.id}) for ${p.base_url}; its secret is in the system keychain.\nCheck it with: archivist profile test "${p.name}"\n`);
          return 0;
        }
        case 'list': {
          const list = service.list();
          if (values.json) printJson(io, { profiles: list });
          else if (!list.length) io.stdout('No profiles yet. Add one with: archivist profile add --name NAME --api-key KEY --secret-stdin\n');
          else for (const p of list) io.stdout(describe(p));
          return 0;
        }
        case 'test': {
          const p = service.get(positionals[0]);
          const r = await service.test(p.id);
          if (values.json) printJson(io, { profile: { id: p.id, name: p.name }, ...r });
          else io.stdout(`${r.outcome === 'ok' ? 'OK' : r.outcome.toUpperCase().replace('_', ' ')}: ${r.message} (${r.took_ms} ms)\n`);
          return r.outcome === 'ok' ? 0 : 1;
        }
        case 'rotate': {
          const ref = positionals[0];
          service.get(ref); // fail on an unknown name before asking for a secret
          const p = await service.rotateSecret(ref, await readSecret(io));
          if (values.json) printJson(io, { profile: p });
          else io.stdout(`Replaced the secret of "${p.name}" in the system keychain.\nCheck it with: archivist profile test "${p.name}"\n`);
          return 0;
        }
        case 'set-base-url': {
          // No keychain involved: the secret stays as it is.
          const p = service.setBaseUrl(positionals[0], positionals[1]);
          if (values.json) printJson(io, { profile: p });
          else io.stdout(`"${p.name}" now connects to ${p.base_url}.\nCheck it with: archivist profile test "${p.name}"\n`);
          return 0;
        }
        case 'remove': {
          const { profile, secretLeft } = await service.remove(positionals[0], { force: values.force });
          if (values.json) printJson(io, { removed: profile.id, name: profile.name, secret_left_in_keychain: secretLeft });
          else {
            io.stdout(`Removed profile "${profile.name}" (${profile.id}).\n`);
            if (secretLeft) io.stdout(`Its secret could not be deleted from the keychain: remove the item "Archivist/${profile.id}" by hand.\n`);
          }
          return 0;
        }
      }
      return 2;
    } catch (err) {
      if (err instanceof KeychainError) throw new CliError(`${err.message}\n${err.remedy}`, { code: 'keychain' });
      if (err instanceof ProfileError) throw new CliError(err.message, { code: err.code });
      throw err;
    } finally {
      await secrets.close();
      db.close();
      log.close();
    }
  },
};

function describe(p: Profile): string {
  const status = p.kind === 'sandbox' ? 'sandbox (no secret needed)' : p.has_secret ? 'secret in keychain' : 'NO SECRET';
  const seen = p.last_connected_at ? `last connected ${p.last_connected_at}` : 'never connected';
  return `${p.name}  ${p.id}\n    key ${p.api_key}  ${p.base_url}\n    ${status}, ${seen}\n`;
}

/** The secret from stdin: piped (up to EOF) or typed at a terminal without echo (up to Enter). */
async function readSecret(io: CliIO): Promise<string> {
  const stdin = io.stdin;
  if (!stdin) throw new CliError('No standard input to read the secret from.');
  const tty = stdin as Partial<ReadStream>;
  const secret = tty.isTTY && typeof tty.setRawMode === 'function' ? await readHidden(tty as ReadStream, io) : await readAll(stdin);
  const value = secret.trim();
  if (!value) throw new CliError('No secret on standard input.', { code: 'invalid_input' });
  registerSecret(value);
  return value;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_SECRET_BYTES) throw new CliError(`The secret on standard input is longer than ${MAX_SECRET_BYTES} bytes.`, { code: 'invalid_input' });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function readHidden(stdin: ReadStream, io: CliIO): Promise<string> {
  io.stderr('API secret (input hidden): ');
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('Cancelled.', { exitCode: 130 }));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < MAX_SECRET_BYTES) value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
