/**
 * The keychain helper in the desktop app runs as an Electron utility process.
 *
 * KeytarSecretStore's default launcher relaunches the current binary as Node (child_process.fork,
 * ELECTRON_RUN_AS_NODE), which the packaged app's runAsNode fuse rightly forbids (electron-builder.yml).
 * `utilityProcess.fork` starts a Chromium-managed child with Node, needs no fuse, and can be
 * killed, which is the point of the helper (a keychain call that never returns is abandoned by
 * ending the process).
 *
 * Packaged layout: the helper (dist/main/core/secrets/keytar-host.cjs) and keytar with its native
 * binary are unpacked from app.asar (asarUnpack), and the helper is started from
 * app.asar.unpacked, so nothing in the helper depends on asar support. That costs no integrity:
 * keytar.node, the code that sees the secrets, is outside the archive in any case.
 *
 * No runtime `electron` import here: main.ts passes `utilityProcess.fork`, so this adapter is
 * unit-tested in Node against a stand-in (test/node/keychain-launcher.test.ts).
 */
import type { ForkOptions, UtilityProcess } from 'electron';
import type { HelperLauncher } from '../core/secrets/index.ts';

export type UtilityFork = (modulePath: string, args: string[], options: ForkOptions) => UtilityProcess;

/** The real path of a file that electron-builder unpacked from an asar archive (unchanged outside one). */
export function unpackedPath(file: string): string {
  return file.replace(/\.asar(?=[\\/])/, '.asar.unpacked');
}

export function utilityProcessLauncher(fork: UtilityFork): HelperLauncher {
  return (modulePath, env) => {
    const child = fork(unpackedPath(modulePath), [], {
      env,
      // The helper never prints; libsecret/GLib warnings have nowhere useful to go.
      stdio: 'ignore',
      serviceName: 'Archivist keychain helper',
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (req, onError) => {
        // Messages posted before the process has spawned are queued by Electron.
        try {
          child.postMessage(req);
        } catch (err) {
          onError(err instanceof Error ? err : new Error(String(err)));
        }
      },
      on: (event: 'message' | 'error' | 'exit', listener: (...args: any[]) => void) => {
        if (event === 'message') child.on('message', listener);
        // A V8 fatal error; 'exit' follows. Listening also keeps an unhandled 'error' from throwing in main.
        else if (event === 'error') child.on('error', (type, location) => listener(new Error(`${type} at ${location}`)));
        else child.on('exit', (code) => listener(code, null));
      },
      // SIGTERM on POSIX, then Electron makes sure the process is reaped (SIGKILL if need be).
      kill: () => {
        if (!exited) child.kill();
      },
      // A utility process does not keep the app running (it quits on app.quit()): nothing to hold.
      ref: () => {},
      unref: () => {},
    };
  };
}
