import type { Command } from '../command.ts';
import { importCommand } from './import.ts';
import { searchCommand } from './search.ts';
import { contextCommand } from './context.ts';
import { statsCommand } from './stats.ts';
import { exportCommand } from './export.ts';
import { jobsCommand } from './jobs.ts';
import { reportCommand } from './report.ts';
import { serveCommand } from './serve.ts';
import { sandboxCommand } from './sandbox.ts';
import { profileCommand } from './profile.ts';

/** Every `archivist` command. Add a new one here (one module per command in this folder). */
export const commands: Command[] = [importCommand, searchCommand, contextCommand, statsCommand, serveCommand, exportCommand, jobsCommand, reportCommand, sandboxCommand, profileCommand];
