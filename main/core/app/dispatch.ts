import {
  isOperationName,
  parseInput,
  type AppEvent,
  type OperationName,
  type OperationResult,
  type Outcome,
  type ValidatedInput,
} from '../../../preload/contract.ts';
import { toContractError } from './errors.ts';

/** One function per contract operation, taking its validated input. */
export type Handlers = { [K in OperationName]: (input: ValidatedInput<K>) => Promise<OperationResult<K>> };

/** What both entrances (Electron IPC, browser mode) bind: untrusted name + input in, data out. */
export interface ContractEndpoint {
  invoke(op: unknown, input: unknown): Promise<Outcome<unknown>>;
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/**
 * Validates the operation name and its input against the contract, runs the handler and turns
 * every throw into `{ ok: false, error }`. The only path from an entrance into the handlers.
 */
export async function dispatch(
  handlers: Handlers,
  op: unknown,
  input: unknown,
  log: (message: string, err?: unknown) => void = () => {},
): Promise<Outcome<unknown>> {
  if (!isOperationName(op)) {
    return { ok: false, error: { code: 'unknown_operation', message: `Unknown operation ${JSON.stringify(String(op)).slice(0, 80)}.` } };
  }
  const parsed = parseInput(op, input);
  if (!parsed.ok) return parsed;
  try {
    const handler = handlers[op] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.value) };
  } catch (err) {
    const error = toContractError(err);
    if (error.code === 'internal') log(`operation ${op} failed`, err);
    return { ok: false, error };
  }
}
