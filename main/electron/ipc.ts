/**
 * The one place contract operations are bound to Electron IPC (VS Code's validatedIpcMain idea):
 * every call is checked for who sent it before its input is even looked at, then validated
 * against the contract's schema by `dispatch`. No `electron` runtime import: unit-tested with
 * fake ipcMain/event objects.
 */
import type { Outcome } from '../../preload/contract.ts';
import type { ContractEndpoint } from '../core/app/dispatch.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'archivist';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const INVOKE_CHANNEL = 'archivist:invoke';
export const EVENT_CHANNEL = 'archivist:event';

/** The parts of Electron's IpcMainInvokeEvent the check needs. */
export interface IpcInvokeEventLike {
  senderFrame: { url: string; parent: unknown | null } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** True only for our own renderer: the top-level frame of a page served from app://archivist. */
export function isTrustedSender(event: IpcInvokeEventLike): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  try {
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

export function registerContractIpc(
  ipcMain: IpcMainLike,
  endpoint: ContractEndpoint,
  log: (message: string) => void = () => {},
): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, op, input, ...extra): Promise<Outcome<unknown>> => {
    if (!isTrustedSender(event)) {
      log(`refused IPC from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
      return { ok: false, error: { code: 'forbidden', message: 'This window may not talk to Archivist.' } };
    }
    if (extra.length > 0) return { ok: false, error: { code: 'invalid_input', message: 'Too many arguments.' } };
    return endpoint.invoke(op, input);
  });
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}
