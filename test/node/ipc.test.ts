import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppCore, type AppCore } from '../../main/core/app/index.ts';
import { INVOKE_CHANNEL, isTrustedSender, registerContractIpc, type IpcInvokeEventLike, type IpcMainLike } from '../../main/electron/ipc.ts';
import { allowedExternalUrl } from '../../main/electron/external.ts';
import { resolveAppUrl } from '../../main/electron/protocol.ts';

/** A stand-in for Electron's ipcMain: records the handler so the test can invoke it like Electron would. */
function fakeIpcMain() {
  const handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const ipc: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error('second handler');
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  return { ipc, handlers };
}

const mainFrame = (url: string): IpcInvokeEventLike => ({ senderFrame: { url, parent: null } });

describe('IPC registration', () => {
  let dir: string;
  let core: AppCore;
  let invoke: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<any>;
  let unregister: () => void;
  let handlers: Map<string, unknown>;
  const refused: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archivist-ipc-'));
    core = await createAppCore({ dataDir: dir, host: 'electron', sandbox: false });
    const fake = fakeIpcMain();
    handlers = fake.handlers;
    unregister = registerContractIpc(fake.ipc, core, (m) => refused.push(m));
    invoke = fake.handlers.get(INVOKE_CHANNEL)! as typeof invoke;
  });
  afterAll(async () => {
    await core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('binds every operation through a single channel', () => {
    expect([...handlers.keys()]).toEqual([INVOKE_CHANNEL]);
  });

  it('answers our own renderer (app://archivist main frame)', async () => {
    const out = await invoke(mainFrame('app://archivist/index.html#/search'), 'settings.get', {});
    expect(out).toMatchObject({ ok: true, value: { data_dir: dir, theme: 'system' } });
  });

  it.each([
    ['another origin', mainFrame('https://evil.example/index.html')],
    ['a file: page', mainFrame('file:///tmp/index.html')],
    ['a look-alike host', mainFrame('app://archivist.evil/index.html')],
    ['an http page on localhost', mainFrame('http://127.0.0.1:1234/')],
    ['a sub-frame of our page', { senderFrame: { url: 'app://archivist/index.html', parent: {} } }],
    ['a destroyed frame', { senderFrame: null }],
    ['an unparsable URL', mainFrame('not a url')],
  ])('refuses %s', async (_name, event) => {
    const before = refused.length;
    const out = await invoke(event, 'settings.get', {});
    expect(out).toEqual({ ok: false, error: { code: 'forbidden', message: expect.any(String) } });
    expect(refused.length).toBe(before + 1);
  });

  it('refuses a wrong sender before looking at the operation (even an unknown one)', async () => {
    const out = await invoke(mainFrame('https://evil.example/'), 'no.such.op', { x: 1 });
    expect(out.error.code).toBe('forbidden');
  });

  it('refuses an unknown operation', async () => {
    for (const op of ['no.such.op', '__proto__', 'constructor', 'toString', 42, null]) {
      const out = await invoke(mainFrame('app://archivist/index.html'), op, {});
      expect(out).toMatchObject({ ok: false, error: { code: 'unknown_operation' } });
    }
  });

  it('refuses malformed input with the offending field named', async () => {
    const app = mainFrame('app://archivist/index.html');
    const cases: [string, unknown][] = [
      ['archive.search', { query: 42 }],
      ['archive.search', { query: 'x', limit: 100000 }],
      ['archive.search', { query: 'x', sort: 'random' }],
      ['archive.search', { query: 'x', sql: 'DROP TABLE messages' }],
      ['archive.search', 'just a string'],
      ['profiles.add', { name: 'x', api_key: 'k', secret: '' }],
      ['profiles.add', { name: 'x', api_key: 'k', secret: 's', base_url: 'file:///etc/passwd' }],
      ['settings.update', { theme: 'neon' }],
      ['settings.update', { start_at_login: 'yes' }],
      ['collections.create', { kind: 'channels', profile_id: 'p', channels: { cids: [] } }],
    ];
    for (const [op, input] of cases) {
      const out = await invoke(app, op, input);
      expect(out, `${op} ${JSON.stringify(input)}`).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    const out = await invoke(app, 'archive.search', { query: 42 });
    expect(out.error.message).toContain('query');
  });

  it('refuses extra arguments', async () => {
    const out = await invoke(mainFrame('app://archivist/index.html'), 'settings.get', {}, 'extra');
    expect(out.error.code).toBe('invalid_input');
  });

  it('carries core errors as data', async () => {
    const out = await invoke(mainFrame('app://archivist/index.html'), 'settings.update', { time_zone: 'Mars/Olympus' });
    expect(out).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('Mars/Olympus') } });
  });

  it('keeps start_at_login (default off) and announces the change to the host', async () => {
    const app = mainFrame('app://archivist/index.html');
    expect(await invoke(app, 'settings.get', {})).toMatchObject({ ok: true, value: { start_at_login: false } });
    const seen: unknown[] = [];
    const off = core.subscribe((e) => seen.push(e));
    try {
      const out = await invoke(app, 'settings.update', { start_at_login: true });
      expect(out).toMatchObject({ ok: true, value: { start_at_login: true, theme: 'system' } });
      expect(seen).toContainEqual({ type: 'settings.changed', settings: out.value });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toMatchObject({ start_at_login: true });
    } finally {
      off();
    }
    await invoke(app, 'settings.update', { start_at_login: false });
  });

  it('unregisters', () => {
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('isTrustedSender accepts only the exact app origin', () => {
    expect(isTrustedSender(mainFrame('app://archivist/'))).toBe(true);
    expect(isTrustedSender(mainFrame('app://other/'))).toBe(false);
  });
});

describe('external links', () => {
  it('opens only parsed, allow-listed https URLs', () => {
    expect(allowedExternalUrl('https://getstream.io/chat/docs/')).toBe('https://getstream.io/chat/docs/');
    expect(allowedExternalUrl('https://dashboard.getstream.io/app/1')).toBe('https://dashboard.getstream.io/app/1');
    for (const bad of [
      'http://getstream.io/',
      'https://getstream.io.evil.com/',
      'https://evilgetstream.io/',
      'https://user:pw@getstream.io/',
      'https://getstream.io:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://getstream.io/share',
      'not a url',
    ]) {
      expect(allowedExternalUrl(bad), bad).toBeNull();
    }
  });
});

describe('app:// protocol', () => {
  const root = path.resolve('/srv/renderer');
  it('maps assets inside the renderer and routes everything else to the shell', () => {
    expect(resolveAppUrl(root, 'app://archivist/assets/index-1.js')).toBe(path.join(root, 'assets/index-1.js'));
    expect(resolveAppUrl(root, 'app://archivist/search')).toBe(path.join(root, 'index.html'));
  });
  it('refuses other hosts and paths outside the renderer', () => {
    expect(resolveAppUrl(root, 'app://elsewhere/index.html')).toBeNull();
    expect(resolveAppUrl(root, 'app://archivist/%2e%2e/%2e%2e/etc/passwd.txt')).toBe(path.join(root, 'etc/passwd.txt'));
    expect(resolveAppUrl(root, 'app://archivist/..%2f..%2fetc%2fpasswd.txt')).toBe(path.join(root, 'etc/passwd.txt'));
    expect(resolveAppUrl(root, 'app://archivist/%E0%A4%A')).toBeNull();
  });
});
