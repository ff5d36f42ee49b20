/** Verifies a downloaded file off the main thread: its SHA-256, size and a full parse. */
import { Worker } from 'node:worker_threads';
import type { FileInspection } from './inspect.ts';

export interface FileVerification {
  sha256: string;
  size: number;
  inspection: FileInspection;
}

// .ts when run from source, .js when built (dist/).
const workerUrl = new URL(`./verify-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export function verifyFile(file: string): Promise<FileVerification> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerUrl, { workerData: { file } });
    let done = false;
    w.once('message', (m: FileVerification) => {
      done = true;
      resolve(m);
      void w.terminate();
    });
    w.once('error', (err) => {
      done = true;
      reject(err);
    });
    w.once('exit', (code) => {
      if (!done) reject(new Error(`verification worker exited (${code})`));
    });
  });
}
