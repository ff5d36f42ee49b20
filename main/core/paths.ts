import os from 'node:os';
import path from 'node:path';

/**
 * The folder where Archivist keeps its databases, evidence and logs.
 * Matches Electron's `app.getPath('userData')` for the product name "Archivist", so the
 * desktop app, the CLI and browser mode all read the same archive by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.ARCHIVIST_DATA_DIR) return path.resolve(env.ARCHIVIST_DATA_DIR);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Archivist');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Archivist');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Archivist');
}

/** Well-known locations inside a data dir. */
export function dataPaths(dataDir: string) {
  return {
    dataDir,
    archiveDb: path.join(dataDir, 'archive.db'),
    stateDb: path.join(dataDir, 'state.db'),
    evidenceDir: path.join(dataDir, 'evidence'),
    logsDir: path.join(dataDir, 'logs'),
    tmpDir: path.join(dataDir, 'tmp'),
  };
}
