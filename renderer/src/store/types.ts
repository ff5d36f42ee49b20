import type { StateCreator } from 'zustand';
import type { ArchivistApi, ContractError, Outcome } from '../../../preload/contract.ts';
import type { AppSlice } from './app.ts';
import type { ProfilesSlice } from './profiles.ts';
import type { CollectSlice } from './collect.ts';
import type { JobsSlice } from './jobs.ts';
import type { SearchSlice } from './search.ts';
import type { ConversationSlice } from './conversation.ts';

export type AppState = AppSlice & ProfilesSlice & CollectSlice & JobsSlice & SearchSlice & ConversationSlice;

/** A slice creator that gets the injected api (the store never reaches for a global). */
export type SliceCreator<T> = (api: ArchivistApi) => StateCreator<AppState, [], [], T>;

export class ApiError extends Error {
  code: string;
  constructor(error: ContractError) {
    super(error.message);
    this.code = error.code;
  }
}

export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new ApiError(outcome.error);
  return outcome.value;
}

export function errorOf(err: unknown): ContractError {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
