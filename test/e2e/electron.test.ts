/**
 * The packaged-app path: launches the real Electron main (dist/) with Playwright's `_electron`.
 * Skipped only when the Electron binary is absent (it cannot be downloaded on this project's
 * development machines; CI runners with network access have it).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';

/** The path require('electron') returns, read without calling it (that would try to download). */
function electronBinary(): string | null {
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const p = path.join(pkg, 'dist', fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim());
    fs.accessSync(p, fs.constants.X_OK);
    return p;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const root = path.resolve(import.meta.dirname, '../..');

describe.skipIf(!binary)('Electron app', () => {
  it('opens the hardened window on app:// and answers the contract through the preload bridge', async () => {
    expect(fs.existsSync(path.join(root, 'dist/main/electron/main.js')), 'run npm run build first').toBe(true);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-electron-'));
    const app = await electron.launch({ executablePath: binary!, args: [root], env: { ...process.env, ARCHIVIST_DATA_DIR: dataDir } });
    try {
      const win = await app.firstWindow();
      await win.getByRole('navigation', { name: 'Main' }).waitFor();
      expect(win.url()).toMatch(/^app:\/\/archivist\//);
      const info = await win.evaluate(() => (window as any).archivist.call('app.info', {}));
      expect(info).toMatchObject({ ok: true, value: { host: 'electron' } });
      // No Node in the page, and navigation away is refused.
      expect(await win.evaluate(() => typeof (window as any).require)).toBe('undefined');
      await win.evaluate(() => (location.href = 'https://example.com/'));
      await win.waitForTimeout(500);
      expect(win.url()).toMatch(/^app:\/\/archivist\//);
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const w = BrowserWindow.getAllWindows()[0];
        return (w.webContents as any).getLastWebPreferences?.() ?? null;
      });
      if (prefs) expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
