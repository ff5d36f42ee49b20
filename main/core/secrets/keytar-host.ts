/**
 * The keychain helper process (forked by KeytarSecretStore). It is the only place that loads
 * keytar, so that a native call that never returns (a locked Linux keyring waiting on an unlock
 * prompt nobody can see) can be abandoned by killing this process: a hung call inside the main
 * process would hold a libuv thread-pool thread and keep the process from exiting, forever.
 *
 * Protocol (IPC, JSON): request {id, op, service, account?, secret?} → reply {id, ok, value?, error?}.
 * Secrets travel only over the IPC channel, never in argv or the environment.
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

type Keytar = typeof import('keytar');

export interface HostRequest {
  id: number;
  op: 'set' | 'get' | 'delete' | 'probe';
  service: string;
  account?: string;
  secret?: string;
}
export type HostReply = { id: number; ok: true; value: string | boolean | null } | { id: number; ok: false; error: string };

let keytar: Keytar | null = null;
const load = (): Keytar => (keytar ??= createRequire(import.meta.url)('keytar') as Keytar);

const NOT_KEPT = 'the Secret Service accepted the secret but does not return it (an unlock prompt may have been dismissed)';

async function setAndVerify(k: Keytar, service: string, account: string, secret: string): Promise<void> {
  await k.setPassword(service, account, secret);
  // libsecret can report success without storing (prompt dismissed), and a locked Linux
  // collection answers reads with "nothing": only reading back proves the secret is kept.
  if ((await k.getPassword(service, account)) !== secret) throw new Error(NOT_KEPT);
}

async function handle(req: HostRequest): Promise<string | boolean | null> {
  const k = load();
  switch (req.op) {
    case 'set':
      await setAndVerify(k, req.service, req.account!, req.secret!);
      return null;
    case 'get':
      return k.getPassword(req.service, req.account!);
    case 'delete':
      return k.deletePassword(req.service, req.account!);
    case 'probe': {
      await setAndVerify(k, req.service, req.account!, randomBytes(16).toString('hex'));
      await k.deletePassword(req.service, req.account!);
      return true;
    }
  }
}

process.on('message', (req: HostRequest) => {
  handle(req).then(
    (value) => process.send?.({ id: req.id, ok: true, value } satisfies HostReply),
    (err: unknown) => {
      let error = err instanceof Error ? err.message : String(err);
      // Native messages do not contain item values; scrub anyway, as a second line of defence.
      if (req.secret) error = error.split(req.secret).join('[redacted]');
      process.send?.({ id: req.id, ok: false, error } satisfies HostReply);
    },
  );
});
// The parent went away (exit, crash, kill): leave too, even if a native call is still stuck.
process.on('disconnect', () => process.exit(0));
