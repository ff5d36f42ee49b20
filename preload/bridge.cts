/**
 * Preload (sandboxed, CommonJS): exposes exactly the contract as `window.archivist`. It forwards
 * an operation name and its input; main checks the sender and validates everything. No Node or
 * Electron object ever reaches the page.
 */
import type { AppEvent, ArchivistApi } from './contract.ts';

const { contextBridge, ipcRenderer } = require('electron') as typeof import('electron');

// Channel names are repeated here (not imported): a sandboxed preload can only require 'electron'.
const INVOKE = 'archivist:invoke';
const EVENT = 'archivist:event';

const api: ArchivistApi = {
  call: (op, input) => ipcRenderer.invoke(INVOKE, op, input),
  subscribe(listener) {
    const handler = (_e: unknown, event: AppEvent) => listener(event);
    ipcRenderer.on(EVENT, handler);
    return () => {
      ipcRenderer.removeListener(EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('archivist', api);
