/**
 * Electron main process: thin glue around the app core (architecture.md, "Electron security").
 * - renderer served from app://archivist (a privileged standard scheme) with a strict CSP header;
 * - contextIsolation + sandbox on, nodeIntegration off, webSecurity on;
 * - navigation, new windows, webviews and permission requests denied;
 * - one IPC registration that checks the sender frame and validates input (ipc.ts);
 * - shell.openExternal only for parsed, allow-listed https URLs (external.ts).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  net,
  Notification,
  powerMonitor,
  protocol,
  session,
  shell,
  Tray,
  utilityProcess,
  type MenuItemConstructorOptions,
} from 'electron';
import { createAppCore, type AppCore } from '../core/app/index.ts';
import { defaultDataDir } from '../core/paths.ts';
import { createSecretStore } from '../core/secrets/index.ts';
import { CONTENT_SECURITY_POLICY, STATIC_HEADERS } from '../web/security.ts';
import type { AppEvent, Settings } from '../../preload/contract.ts';
import { allowedExternalUrl } from './external.ts';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, EVENT_CHANNEL, registerContractIpc } from './ipc.ts';
import { utilityProcessLauncher } from './keychain.ts';
import { resolveAppUrl } from './protocol.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const RENDERER_DIR = process.env.ARCHIVIST_RENDERER_DIR ?? path.join(ROOT, 'dist', 'renderer');
const PRELOAD = path.join(ROOT, 'dist', 'preload', 'bridge.cjs');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

let core: AppCore | null = null;
let win: BrowserWindow | null = null;
let tray: Tray | null = null;

function log(message: string, err?: unknown) {
  console.error(`[archivist] ${message}`, err instanceof Error ? err.message : (err ?? ''));
}

function serveRenderer() {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppUrl(RENDERER_DIR, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(STATIC_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, headers });
  });
}

function harden() {
  // Nothing the renderer asks for (camera, notifications, clipboard-read, …) is granted.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  // Belt and braces: the CSP also applies to anything not served by our protocol handler.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const safe = allowedExternalUrl(url);
      if (safe) void shell.openExternal(safe);
      return { action: 'deny' };
    });
  });
}

function createWindow() {
  win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Archivist',
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => {
    win = null;
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

function menu() {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'Stream export documentation',
          click: () => {
            const url = allowedExternalUrl('https://getstream.io/chat/docs/node/exporting_channels/');
            if (url) void shell.openExternal(url);
          },
        },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function trayStatus(text: string) {
  if (!tray) return;
  tray.setToolTip(`Archivist — ${text}`);
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: text, enabled: false },
      { type: 'separator' },
      { label: 'Show Archivist', click: () => (win ? win.show() : createWindow()) },
      { label: 'Quit', role: 'quit' },
    ]),
  );
}

/** The OS login item follows the start_at_login setting (browser mode has no such thing). */
function applyLoginItem(openAtLogin: boolean) {
  try {
    app.setLoginItemSettings({ openAtLogin });
  } catch (err) {
    log('could not change the login item', err);
  }
}

function onCoreEvent(event: AppEvent) {
  if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  if (event.type === 'settings.changed') applyLoginItem(event.settings.start_at_login);
  if (event.type === 'job.progress' && event.progress.scope === 'collection') {
    const p = event.progress;
    const done = p.totals.by_state.done ?? 0;
    trayStatus(p.state === 'running' ? `Collecting: ${done}/${p.totals.jobs} jobs done` : `Last collection ${p.state}`);
    if ((p.state === 'complete' || p.state === 'incomplete') && Notification.isSupported()) {
      new Notification({
        title: p.state === 'complete' ? 'Collection complete' : 'Collection incomplete',
        body: `${p.totals.messages_imported.toLocaleString()} messages imported from ${p.totals.targets} ${p.totals.targets === 1 ? 'target' : 'targets'}.`,
      }).show();
    }
  }
}

async function start() {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.enableSandbox();
  await app.whenReady();
  harden();
  serveRenderer();
  const dataDir = process.env.ARCHIVIST_DATA_DIR ? defaultDataDir() : app.getPath('userData');
  core = await createAppCore({
    dataDir,
    host: 'electron',
    version: app.getVersion(),
    log,
    // The keychain helper as a utility process: the runAsNode fuse is off (electron-builder.yml).
    secretStore: createSecretStore(process.env, { launcher: utilityProcessLauncher((...args) => utilityProcess.fork(...args)) }),
    openExternal: async (raw) => {
      const url = allowedExternalUrl(raw);
      if (!url) return false;
      await shell.openExternal(url);
      return true;
    },
  });
  registerContractIpc(ipcMain, core, log);
  core.subscribe(onCoreEvent);
  const initial = await core.invoke('settings.get', {});
  if (initial.ok) applyLoginItem((initial.value as Settings).start_at_login);
  powerMonitor.on('suspend', () => void core?.suspend());
  powerMonitor.on('resume', () => void core?.resume());
  menu();
  // build/tray.png (+ tray@2x.png, picked up on high-DPI) from scripts/make-icons.js.
  tray = new Tray(nativeImage.createFromPath(path.join(ROOT, 'build', 'tray.png')));
  trayStatus('Idle');
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  // Collections keep running in the tray on every platform; Quit from the tray or menu stops them.
});
app.on('before-quit', () => {
  void core?.close();
});

void start().catch((err) => {
  log('start-up failed', err);
  app.exit(1);
});

export { APP_HOST };
