import { parseArgs } from 'node:util';
import { printJson, UsageError, type Command } from '../command.ts';
import { commandHelp } from './help.ts';
import { dataDirOption, resolveDataDir, withArchive } from '../archive-access.ts';

export const importCommand: Command = {
  ...commandHelp.import,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, options: { ...dataDirOption, json: { type: 'boolean' }, quiet: { type: 'boolean' } },
    });
    if (positionals.length === 0) throw new UsageError('Name at least one export file to import.');
    const dataDir = resolveDataDir(io, values['data-dir']);
    let lastLine = 0;
    const summary = await withArchive(dataDir, (a) =>
      a.importFiles(positionals, {
        onProgress: (p) => {
          if (values.json || values.quiet) return;
          const now = Date.now();
          if (p.phase === 'indexes') {
            io.stderr(`  ${p.path}: ${p.messages.toLocaleString('en')} messages read; building the message indexes…\n`);
            return;
          }
          if (p.phase === 'search-index') {
            io.stderr('  making everything searchable…\n');
            return;
          }
          if (now - lastLine < 500) return;
          lastLine = now;
          const pct = p.total_bytes ? ` ${Math.min(100, Math.round((p.bytes / p.total_bytes) * 100))}%` : '';
          io.stderr(`  ${p.path}:${pct} ${p.messages.toLocaleString('en')} messages, ${(p.bytes_per_second / 1e6).toFixed(1)} MB/s\n`);
        },
      }));
    if (values.json) {
      printJson(io, {
        files: summary.files.map((f) => ({
          path: f.path, sha256: f.sha256, format: f.format, shape: f.shape, gzip: f.gzip, already_imported: f.already_imported,
          messages: f.messages, new_messages: f.new_messages, new_versions: f.new_versions, channels: f.channels, users: f.users,
          members: f.members, reactions: f.reactions, attachments: f.attachments, reads: f.reads, rejected: f.rejected, took_ms: f.took_ms,
        })),
        refused: summary.refused,
        rejected: summary.rejected.map((r) => ({ file: r.file, line: r.line, offset: r.offset, reason: r.reason })),
      });
    } else {
      for (const f of summary.files) {
        io.stdout(f.already_imported
          ? `${f.path}: already imported (sha256 ${f.sha256.slice(0, 12)}…), nothing changed\n`
          : `${f.path}: ${f.format}${f.gzip ? ' (gzip)' : ''}, ${f.messages} messages (${f.new_messages} new, ${f.new_versions} new versions), ` +
            `${f.channels} channels, ${f.users} users, ${f.members} members, ${f.reactions} reactions, ${f.rejected} rejected lines, ${f.took_ms} ms\n`);
      }
      for (const r of summary.rejected.slice(0, 20)) io.stdout(`  rejected ${r.file}:${r.line} (byte ${r.offset}): ${r.reason}\n`);
      if (summary.rejected.length > 20) io.stdout(`  … and ${summary.rejected.length - 20} more rejected lines (see --json)\n`);
      for (const r of summary.refused) io.stderr(`${r.path}: ${r.reason}\n`);
    }
    return summary.refused.length ? 1 : 0;
  },
};
