// Shared by `npm start` and `npm test` (plain JS: runs on whatever Node the machine has, even 20).
// Makes a fresh Debian/Ubuntu checkout runnable: system packages (apt) and node_modules (npm ci).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..', '..');

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const libsecret = () =>
  ['/usr/lib/x86_64-linux-gnu/libsecret-1.so.0', '/usr/lib/aarch64-linux-gnu/libsecret-1.so.0', '/usr/lib/libsecret-1.so.0', '/usr/lib64/libsecret-1.so.0']
    .some((p) => fs.existsSync(p));
const libsecretDev = () => spawnSync('sh', ['-c', 'pkg-config --exists libsecret-1 2>/dev/null || ls /usr/include/libsecret-1 >/dev/null 2>&1'], { stdio: 'ignore' }).status === 0;

/** What each purpose needs, as (check, apt package). */
export const NEEDS = {
  keychain: [
    [() => has('dbus-run-session'), 'dbus'],
    [() => has('dbus-send'), 'dbus-x11'],
    [() => has('gnome-keyring-daemon'), 'gnome-keyring'],
    [libsecret, 'libsecret-1-0'],
    [libsecretDev, 'libsecret-1-dev'],
  ],
  browser: [
    [() => fs.existsSync('/usr/bin/chromium'), 'chromium'],
    // Chat archives are multilingual: without these, CJK text and emoji render as boxes.
    [() => fs.existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'), 'fonts-noto-cjk'],
    [() => fs.existsSync('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'), 'fonts-noto-color-emoji'],
  ],
  build: [[() => has('make') && has('g++') && has('python3'), 'build-essential python3']],
};

export function missingPackages(purposes) {
  const out = new Set();
  for (const p of purposes) for (const [check, pkg] of NEEDS[p]) if (!check()) out.add(pkg);
  return [...out];
}

/**
 * Installs missing apt packages when we can do so without a prompt (root, or passwordless sudo).
 * Returns the packages still missing (with the command the user should run).
 */
export function ensureSystemPackages(purposes, log = console.error) {
  const missing = missingPackages(purposes);
  if (missing.length === 0) return [];
  if (!has('apt-get')) return missing;
  const isRoot = process.getuid?.() === 0;
  const sudo = !isRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!isRoot && !sudo) return missing;
  const pre = isRoot ? [] : ['sudo', '-n'];
  const pkgs = missing.flatMap((m) => m.split(' '));
  log(`setup: installing system packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync(pre[0] ?? args[0], pre.length ? [...pre.slice(1), ...args] : args.slice(1), { stdio: 'inherit', env });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
  return missingPackages(purposes);
}

/** Runs `npm ci` (or `npm install` without a lock) when node_modules is absent or stale. */
export function ensureNodeModules(log = console.error) {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  const local = path.join(root, 'node_modules', 'node', 'bin', 'node');
  const stale = !fs.existsSync(marker) || !fs.existsSync(local) ||
    (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(marker).mtimeMs + 1000);
  if (!stale) {
    ensureNativeBuild(log);
    return;
  }
  log('setup: installing npm dependencies (npm ci)…');
  const args = fs.existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    log('setup: npm could not install the dependencies (see above).');
    process.exit(r.status ?? 1);
  }
}

/**
 * The native line scanner is built by `npm ci` (the package's install script). A checkout whose
 * node_modules is current did not run it since the scanner's source changed: build it now.
 */
function ensureNativeBuild(log) {
  const src = path.join(root, 'native', 'line-scan.cc');
  const built = path.join(root, 'native', 'build', 'Release', 'line_scan.node');
  if (!fs.existsSync(src)) return;
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= fs.statSync(src).mtimeMs) return;
  log('setup: building the native line scanner (node-gyp)…');
  const r = spawnSync('npm', ['run', 'install', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    log('setup: the native line scanner did not build (see above); imports fall back to JSON.parse, and its test fails.');
  }
}

/** PATH with the project's own binaries (Node 22 among them) first. */
export function projectEnv(extra = {}) {
  return { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`, ...extra };
}
