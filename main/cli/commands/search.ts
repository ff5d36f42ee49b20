import { parseArgs } from 'node:util';
import { CliError, printJson, UsageError, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir, withArchive } from '../archive-access.ts';
import { ArchiveError, type SearchSort } from '../../core/archive/index.ts';

const SORTS = ['relevance', 'newest', 'oldest'];

export const searchCommand: Command = {
  ...commandHelp.search,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        ...dataDirOption, json: { type: 'boolean' }, limit: { type: 'string' }, sort: { type: 'string' },
        facets: { type: 'boolean' }, cursor: { type: 'string' },
      },
    });
    if (positionals.length === 0) throw new UsageError('Give a query, e.g. archivist search "budget from:alice".');
    const sort = (values.sort ?? 'relevance') as SearchSort;
    if (!SORTS.includes(sort)) throw new UsageError(`--sort must be one of ${SORTS.join(', ')}.`);
    const limit = values.limit ? Number(values.limit) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit must be a whole number from 1 to 500.');
    const query = positionals.join(' ');
    try {
      const r = await withArchive(resolveDataDir(io, values['data-dir']), (a) =>
        a.search({ query, sort, limit, facets: values.facets, cursor: values.cursor }));
      if (values.json) {
        printJson(io, {
          total: r.total, took_ms: r.took_ms,
          hits: r.hits.map((h) => ({
            message_id: h.message_id, cid: h.cid, user_id: h.user_id, user_name: h.user_name, created_at: h.created_at,
            type: h.type, snippet: h.snippet, deleted: h.deleted, edited: h.edited, parent_id: h.parent_id,
          })),
          next_cursor: r.next_cursor, ...(r.facets ? { facets: r.facets } : {}), ...(r.notices ? { notices: r.notices } : {}),
        });
        return 0;
      }
      for (const n of r.notices ?? []) io.stderr(`note: ${n}\n`);
      io.stdout(`${r.total.toLocaleString('en')} messages (${r.took_ms} ms)\n`);
      for (const h of r.hits) {
        const snippet = h.snippet.replace(/<mark>/g, '\x1b[1m').replace(/<\/mark>/g, '\x1b[0m')
          .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
        io.stdout(`${h.created_at}  ${h.cid}  ${h.user_name ?? h.user_id ?? '?'}${h.deleted ? ' [deleted]' : ''}${h.edited ? ' [edited]' : ''}\n  ${snippet}\n  id ${h.message_id}\n`);
      }
      if (r.facets) {
        for (const [k, list] of Object.entries(r.facets)) {
          io.stdout(`${k}: ${list.slice(0, 10).map((b: { label: string; count: number }) => `${b.label} (${b.count})`).join(', ')}\n`);
        }
      }
      if (r.next_cursor) io.stdout(`more: --cursor ${r.next_cursor}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ArchiveError && (err.code === 'bad_query' || err.code === 'bad_cursor')) {
        if (values.json) printJson(io, { error: { code: err.code, message: err.message } });
        throw new CliError(err.message, { exitCode: 2, code: err.code });
      }
      throw err;
    }
  },
};
