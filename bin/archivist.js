#!/usr/bin/env node
// Entry for `archivist` / `npx archivist`. Runs the TypeScript CLI directly (Node >= 22.18 strips
// types natively). On an older Node, re-runs itself on the project's own Node 22 (the `node`
// devDependency) so `node bin/archivist.js` works on any machine after `npm install`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (existsSync(local) && !process.env.ARCHIVIST_REEXEC) {
    const r = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, ARCHIVIST_REEXEC: '1' },
    });
    process.exit(r.status ?? 1);
  }
  console.error(`archivist needs Node >= 22.18 (this is ${process.version}). Run \`npm install\` in the project first.`);
  process.exit(2);
}
const { main } = await import('../main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
