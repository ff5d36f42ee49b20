import type { ContractError, ErrorCode } from '../../../preload/contract.ts';

/** An error meant for the user: its code and message cross the boundary as they are. */
export class AppError extends Error {
  code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Maps anything thrown inside an operation to contract data. Known errors keep their message
 * (core modules write messages a user can act on and never put secrets in them); anything else
 * becomes a generic 'internal' error, so stack traces, paths in SQL errors and the like stay in main.
 */
export function toContractError(err: unknown, redact: (s: string) => string = (s) => s): ContractError {
  if (err instanceof AppError) return { code: err.code, message: redact(err.message) };
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; name?: unknown; userMessage?: unknown };
    const message = typeof e.userMessage === 'string' ? e.userMessage : typeof e.message === 'string' ? e.message : '';
    const code = typeof e.code === 'string' ? e.code : '';
    // Core modules' user-facing error classes carry a string code (search syntax, keychain, …).
    if (message && /^[a-z][a-z_]*$/.test(code) && !OPAQUE.has(code)) return { code: mapCode(code), message: redact(message) };
    if (e.name === 'SearchSyntaxError' || e.name === 'QuerySyntaxError') return { code: 'query_syntax', message: redact(message) };
  }
  return { code: 'internal', message: 'Something went wrong inside Archivist. The details are in the log.' };
}

/** Codes whose messages are raw internals (worker crashes, unexpected throws): never shown as they are. */
const OPAQUE = new Set(['internal', 'worker_failed', 'bad_request']);

function mapCode(code: string): ErrorCode | string {
  if (code === 'bad_query' || code === 'syntax' || code === 'search_syntax') return 'query_syntax';
  return code;
}
