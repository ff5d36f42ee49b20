import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency direction of architecture.md is enforced by eslint.config.js. These cases prove
// the rules fire (and stay quiet for allowed imports), so a config edit cannot silently drop them.
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering rules', () => {
  const cases: [string, string, boolean][] = [
    ['main/core/archive/probe.ts', "import { app } from 'electron';", true],
    ['main/core/jobs/probe.ts', "import React from 'react';", true],
    ['main/core/probe.ts', "import { x } from '../../renderer/store.ts';", true],
    ['main/core/probe.ts', "import { x } from '../cli/main.ts';", true],
    ['main/sandbox/probe.ts', "import { BrowserWindow } from 'electron';", true],
    // CommonJS TypeScript too (the keychain helper is main/core/secrets/keytar-host.cts).
    ['main/core/secrets/probe.cts', "import type { ParentPort } from 'electron';", true],
    ['renderer/probe.tsx', "import { openArchive } from '../main/core/archive/index.ts';", true],
    ['renderer/probe.tsx', "import fs from 'node:fs';", true],
    ['renderer/probe.tsx', "import Database from 'better-sqlite3';", true],
    ['main/web/probe.ts', "import { ipcMain } from 'electron';", true],
    ['main/cli/probe.ts', "import { app } from 'electron';", true],
    // allowed directions
    ['main/cli/probe.ts', "import { openArchive } from '../core/archive/index.ts';", false],
    ['main/electron/probe.ts', "import { app } from 'electron';", false],
    ['renderer/probe.tsx', "import type { SearchResult } from '../preload/contract.ts';", false],
    ['main/core/probe.ts', "import fs from 'node:fs';", false],
  ];
  for (const [file, code, bad] of cases) {
    it(`${bad ? 'rejects' : 'allows'} ${code} in ${file}`, async () => {
      const v = await violations(file, code);
      if (bad) expect(v.length, `no violation reported for ${code}`).toBeGreaterThan(0);
      else expect(v).toEqual([]);
    });
  }
});
