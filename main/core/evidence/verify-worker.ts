/**
 * Hashing and parsing a downloaded file is CPU work (SHA-256 + JSON.parse of every line): it runs
 * in a worker thread so the engine's event loop keeps pacing requests, polls and downloads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inspectExportFile } from './inspect.ts';
import { hashFile } from './store.ts';

const { file } = workerData as { file: string };
const [hash, inspection] = await Promise.all([hashFile(file), inspectExportFile(file)]);
parentPort!.postMessage({ ...hash, inspection });
