import type { SecretStore } from './types.ts';

/** Secrets in a Map: for unit tests only. Nothing is ever written anywhere. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory';
  private items = new Map<string, string>();

  async set(account: string, secret: string): Promise<void> {
    if (!account || !secret) throw new Error('account and secret are required');
    this.items.set(account, secret);
  }
  async get(account: string): Promise<string | null> {
    return this.items.get(account) ?? null;
  }
  async delete(account: string): Promise<boolean> {
    return this.items.delete(account);
  }
  async probe(): Promise<void> {}
  async close(): Promise<void> {}
  /** Test helper: how many items are stored. */
  get size(): number {
    return this.items.size;
  }
}
