#!/usr/bin/env node
// `npm start`: builds the renderer when needed, then runs the desktop app if the Electron binary
// is present, otherwise browser mode (with the sandbox workspace available), printing the link
// and opening a browser when the machine has one. Plain JS: runs on the machine's Node >= 20.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { ensureNodeModules, ensureSystemPackages } from './lib/setup.js';

const root = path.resolve(import.meta.dirname, '..');

// A fresh checkout: system packages first (keytar builds against libsecret), then npm ci.
const missing = ensureSystemPackages(['build', 'keychain'], (m) => console.log(m));
ensureNodeModules((m) => console.log(m));
if (missing.length) {
  console.log(
    `Note: the OS keychain support is incomplete (missing: ${missing.join(' ')}).\n` +
      `  The sandbox workspace works without it; to keep real Stream secrets, run:\n` +
      `  sudo apt-get install -y ${missing.join(' ')}`,
  );
}
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const node22 = fs.existsSync(bin('node')) ? bin('node') : process.execPath;

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const index = path.join(root, 'dist', 'renderer', 'index.html');
const sources = Math.max(newest(path.join(root, 'renderer')), newest(path.join(root, 'preload')));
if (!fs.existsSync(index) || fs.statSync(index).mtimeMs < sources) {
  console.log('Building the renderer…');
  run(node22, [bin('vite').replace(/\.cmd$/, ''), 'build', '--logLevel', 'warn']);
}

// Where require('electron') would point, read without calling it: electron 45's index.js tries
// to download the binary on first use, which fails (slowly) on machines without that network.
function electronBinary() {
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const rel = fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim();
    const p = path.join(pkg, 'dist', rel);
    fs.accessSync(p, fs.constants.X_OK);
    return p;
  } catch {
    return null;
  }
}

const args = process.argv.slice(2);
const electron = electronBinary();
if (electron) {
  const main = path.join(root, 'dist', 'main', 'electron', 'main.js');
  if (!fs.existsSync(main) || fs.statSync(main).mtimeMs < newest(path.join(root, 'main'))) {
    console.log('Building the Electron main process…');
    run(node22, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.electron.json']);
  }
  const child = spawn(electron, [root, ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('Electron is not available on this machine: starting browser mode instead.');
  const child = spawn(node22, [path.join(root, 'bin', 'archivist.js'), 'serve', '--open', ...args], { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
