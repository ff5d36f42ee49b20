import fs from 'node:fs';
import path from 'node:path';
import type { Settings, Theme } from '../../../preload/contract.ts';
import { AppError } from './errors.ts';

/** UI preferences, kept as a small JSON file in the data dir (not in state.db: no migration needed). */
export interface SettingsStore {
  get(): Settings;
  update(patch: { time_zone?: string; theme?: Theme; start_at_login?: boolean }): Settings;
}

export function isValidTimeZone(tz: string): boolean {
  if (tz === 'local') return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function createSettingsStore(dataDir: string): SettingsStore {
  const file = path.join(dataDir, 'settings.json');
  const defaults = (): Settings => ({ data_dir: dataDir, time_zone: 'local', theme: 'system', start_at_login: false });
  let current = defaults();
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Settings>;
    if (typeof raw.time_zone === 'string' && isValidTimeZone(raw.time_zone)) current.time_zone = raw.time_zone;
    if (raw.theme === 'light' || raw.theme === 'dark' || raw.theme === 'system') current.theme = raw.theme;
    if (typeof raw.start_at_login === 'boolean') current.start_at_login = raw.start_at_login;
  } catch {
    // First start or unreadable file: defaults.
  }
  return {
    get: () => ({ ...current }),
    update(patch) {
      if (patch.time_zone !== undefined && !isValidTimeZone(patch.time_zone)) {
        throw new AppError('invalid_input', `"${patch.time_zone}" is not a time zone this system knows (e.g. Europe/Berlin, UTC).`);
      }
      current = { ...current, ...patch, data_dir: dataDir };
      fs.mkdirSync(dataDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ time_zone: current.time_zone, theme: current.theme, start_at_login: current.start_at_login }, null, 2));
      fs.renameSync(tmp, file);
      return { ...current };
    },
  };
}
