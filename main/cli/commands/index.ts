import type { Command } from '../command.ts';
import { importCommand } from './import.ts';
import { searchCommand } from './search.ts';
import { contextCommand } from './context.ts';
import { statsCommand } from './stats.ts';

/** Every `archivist` command. Add a new one here (one module per command in this folder). */
export const commands: Command[] = [importCommand, searchCommand, contextCommand, statsCommand];
