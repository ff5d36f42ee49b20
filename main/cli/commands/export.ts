import { parseArgs } from 'node:util';
import { CliError, printJson, UsageError, type CliIO, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir } from '../archive-access.ts';
import { openJobs, resolveProfile } from '../../core/jobs/open.ts';
import type { CollectionRequest, CollectionView, JobProgressEvent } from '../../core/jobs/types.ts';


export const exportCommand: Command = {
  ...commandHelp.export,
  async run(argv, io) {
    const [what, ...rest] = argv;
    if (what !== 'channels' && what !== 'users') throw new UsageError('Say what to export: `export channels` or `export users`.');
    const { values } = parseArgs({
      args: rest,
      options: {
        ...dataDirOption,
        profile: { type: 'string' },
        all: { type: 'boolean' },
        cid: { type: 'string', multiple: true },
        filter: { type: 'string' },
        user: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        'include-truncated': { type: 'boolean' },
        'include-deleted-channels': { type: 'boolean' },
        format: { type: 'string' },
        label: { type: 'string' },
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    if (!values.profile) throw new UsageError('--profile is required (see `archivist profile list`).');
    let request: CollectionRequest;
    if (what === 'users') {
      const users = splitList(values.user);
      if (!users.length) throw new UsageError('Name at least one --user.');
      request = { kind: 'users', profile_id: values.profile, user_ids: users, ...(values.label ? { label: values.label } : {}) };
    } else {
      const cids = splitList(values.cid);
      const chosen = [values.all ? 1 : 0, cids.length ? 1 : 0, values.filter ? 1 : 0].reduce((a, b) => a + b, 0);
      if (chosen !== 1) throw new UsageError('Choose exactly one of --all, --cid C..., --filter JSON.');
      let channels: Extract<CollectionRequest, { kind: 'channels' }>['channels'];
      if (values.all) channels = { all: true };
      else if (cids.length) channels = { cids };
      else {
        let filter: unknown;
        try {
          filter = JSON.parse(values.filter!);
        } catch (err) {
          throw new UsageError(`--filter is not valid JSON: ${(err as Error).message}`);
        }
        if (!filter || typeof filter !== 'object' || Array.isArray(filter)) throw new UsageError('--filter must be a JSON object, e.g. {"type":"messaging"}.');
        channels = { filter: filter as Record<string, unknown> };
      }
      if (values.format && values.format !== 'v1' && values.format !== 'v2') throw new UsageError('--format must be v1 or v2.');
      for (const k of ['since', 'until'] as const) {
        if (values[k] && Number.isNaN(Date.parse(values[k]!))) throw new UsageError(`--${k} must be an ISO date, e.g. 2025-01-31 or 2025-01-31T12:00:00Z.`);
      }
      request = {
        kind: 'channels',
        profile_id: values.profile,
        channels,
        ...(values.since ? { since: values.since } : {}),
        ...(values.until ? { until: values.until } : {}),
        ...(values['include-truncated'] ? { include_truncated_messages: true } : {}),
        ...(values['include-deleted-channels'] ? { include_soft_deleted_channels: true } : {}),
        ...(values.format ? { format: values.format as 'v1' | 'v2' } : {}),
        ...(values.label ? { label: values.label } : {}),
      };
    }

    const dataDir = resolveDataDir(io, values['data-dir']);
    const jobs = await openJobs(dataDir, { env: io.env, run: !!values.wait });
    try {
      try {
        // Collections remember the profile by id: renaming it later changes nothing.
        request.profile_id = resolveProfile(jobs.db, request.profile_id).id;
      } catch (err) {
        throw new CliError((err as Error).message, { code: 'not_found' });
      }
      let col: CollectionView;
      try {
        col = await jobs.engine.createCollection(request);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (!values.wait) {
        if (values.json) printJson(io, col);
        else {
          io.stdout(`Collection ${col.id} queued: ${describe(col)}.\n`);
          io.stdout(jobs.runningElsewhere ? 'The running Archivist app is collecting it.\n' : 'Run `archivist jobs run` (or open Archivist) to collect it; follow it with `archivist jobs`.\n');
        }
        return col.error ? 1 : 0;
      }
      if (!values.json) io.stderr(`Collection ${col.id}: ${describe(col)}\n`);
      const off = values.json ? () => {} : progressPrinter(io, col.id, jobs.engine);
      const done = await jobs.engine.waitFor(col.id);
      off();
      if (values.json) printJson(io, { ...done, report: await jobs.engine.report(done.id) });
      else printOutcome(io, done);
      return done.state === 'complete' ? 0 : 1;
    } finally {
      await jobs.close();
    }
  },
};

export function splitList(v: string[] | undefined): string[] {
  return (v ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

function describe(c: CollectionView): string {
  if (c.state === 'resolving') return 'listing channels…';
  const what = c.kind === 'users' ? 'users' : 'channels';
  return `${c.totals.targets} ${what} in ${c.totals.jobs} job${c.totals.jobs === 1 ? '' : 's'}`;
}

export function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** One line per job state change and a collection line at most every 2 s, on stderr. */
export function progressPrinter(io: CliIO, collectionId: string, engine: { on: (e: 'progress', l: (e: JobProgressEvent) => void) => () => void }): () => void {
  const lastState = new Map<string, string>();
  let lastCol = 0;
  return engine.on('progress', (e) => {
    if (e.collection_id !== collectionId) return;
    if (e.scope === 'job') {
      const key = `${e.state}|${e.message ?? ''}`;
      if (lastState.get(e.job_id) === key) return;
      if (e.state === 'downloading' && lastState.get(e.job_id)?.startsWith('downloading|') && !e.message) return;
      lastState.set(e.job_id, key);
      io.stderr(`  ${e.job_id}  ${e.state.padEnd(11)} ${e.message ?? ''}\n`);
    } else {
      const t = Date.now();
      if (t - lastCol < 2000 && (e.state === 'running' || e.state === 'resolving')) return;
      lastCol = t;
      const s = e.totals.by_state;
      io.stderr(`${e.state}: ${s.done ?? 0}/${e.totals.jobs} jobs done, ${mb(e.totals.bytes_downloaded)}, ${e.totals.messages_imported.toLocaleString('en')} messages imported\n`);
    }
  });
}

export function printOutcome(io: CliIO, c: CollectionView): void {
  io.stdout(`Collection ${c.id}: ${c.state}\n`);
  io.stdout(`  ${c.totals.targets} ${c.kind}, ${c.totals.jobs} jobs, ${mb(c.totals.bytes_downloaded)}, ${c.totals.messages_imported.toLocaleString('en')} messages, ${c.totals.rejected_lines} rejected lines\n`);
  if (c.summary) io.stdout(`  ${c.summary}\n`);
  if (c.error) io.stdout(`  ${c.error}\n`);
  for (const j of c.jobs.filter((x) => x.error)) io.stdout(`  job ${j.id} ${j.state} at ${j.error!.step}: ${j.error!.message}\n`);
  if (c.state !== 'complete') io.stdout(`  Details: archivist report ${c.id}\n`);
}
