/**
 * The keychain helper process (started by KeytarSecretStore through a HelperLauncher). It is the
 * only place that loads keytar, so that a native call that never returns (a locked Linux keyring
 * waiting on an unlock prompt nobody can see) can be abandoned by killing this process: a hung
 * call inside the main process would hold a libuv thread-pool thread and keep the process from
 * exiting, forever.
 *
 * Protocol (./launcher.ts): request {id, op, service, account?, secret?} → reply {id, ok, value?, error?}.
 * Secrets travel only over the message channel, never in argv or the environment.
 *
 * Two channels, one protocol: a Node `child_process.fork` child talks over process.send /
 * process.on('message'); an Electron utility process over process.parentPort (message events
 * carry the request in `data`).
 *
 * CommonJS on purpose (see KEYTAR_HOST_PATH): keep it free of relative runtime imports, so that
 * the one emitted file can run from app.asar.unpacked.
 */
import type { HostReply, HostRequest } from './launcher.ts';

type Keytar = typeof import('keytar');

/** The part of Electron's ParentPort this uses (main/core never imports electron). */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: HostRequest }) => void): unknown;
  postMessage(message: HostReply): void;
}

const { randomBytes } = require('node:crypto') as typeof import('node:crypto');

let keytar: Keytar | null = null;
const load = (): Keytar => (keytar ??= require('keytar') as Keytar);

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

function serve(req: HostRequest, reply: (r: HostReply) => void): void {
  handle(req).then(
    (value) => reply({ id: req.id, ok: true, value }),
    (err: unknown) => {
      let error = err instanceof Error ? err.message : String(err);
      // Native messages do not contain item values; scrub anyway, as a second line of defence.
      if (req.secret) error = error.split(req.secret).join('[redacted]');
      reply({ id: req.id, ok: false, error });
    },
  );
}

const parentPort = (process as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) {
  // Electron utility process: it ends with its parent (Chromium terminates it), no 'disconnect'.
  parentPort.on('message', (event) => serve(event.data, (r) => parentPort.postMessage(r)));
} else {
  process.on('message', (req: HostRequest) => serve(req, (r) => process.send?.(r)));
  // The parent went away (exit, crash, kill): leave too, even if a native call is still stuck.
  process.on('disconnect', () => process.exit(0));
}
