/**
 * A small structured logger: one JSON object per line in <dataDir>/logs/archivist.log, rotated by
 * size (archivist.log → archivist.1.log → … ; the oldest is dropped), optionally echoed to
 * stderr. Every line goes through the redactor (./redact.ts) last, whatever produced it.
 *
 * Writes are synchronous appends: logging is low-volume, and a line written before a crash is
 * worth more than throughput. O_APPEND keeps lines whole when the app and a CLI share the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../paths.ts';
import { redact, redactValue } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  /** `err` may be an Error (name, message, code, stack are kept) or extra fields. */
  error(msg: string, err?: unknown, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line (e.g. `{ component: 'profiles' }`). */
  child(bindings: LogFields): Logger;
  close(): void;
}

export interface LoggerOptions {
  /** Log file path; usually `logFilePath(dataDir)`. Without it nothing is written to disk. */
  file?: string;
  /** Rotate when the file would grow past this (default 5 MiB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 3). */
  maxFiles?: number;
  /** Lowest level written to the file (default 'info'). */
  level?: LogLevel;
  /** Also write human-readable lines to stderr from this level up (default: off). */
  stderr?: LogLevel | false;
  /** Where stderr lines go (tests). */
  stderrWrite?: (line: string) => void;
}

export const logFilePath = (dataDir: string) => path.join(dataPaths(dataDir).logsDir, 'archivist.log');

class FileSink {
  private fd: number | null = null;
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;

  constructor(file: string, maxBytes: number, maxFiles: number) {
    this.file = file;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.fd === null) this.open();
    // fstat each time: another process (app + CLI) may have written or rotated meanwhile.
    const size = fs.fstatSync(this.fd!).size;
    if (size > 0 && size + bytes > this.maxBytes) {
      this.rotate();
      this.open();
    }
    fs.writeSync(this.fd!, line);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private open(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.fd = fs.openSync(this.file, 'a', 0o600);
  }

  private rotate(): void {
    this.close();
    const ext = path.extname(this.file);
    const base = this.file.slice(0, this.file.length - ext.length);
    const nth = (n: number) => `${base}.${n}${ext}`;
    fs.rmSync(nth(this.maxFiles), { force: true });
    for (let n = this.maxFiles - 1; n >= 1; n--) if (fs.existsSync(nth(n))) fs.renameSync(nth(n), nth(n + 1));
    if (this.maxFiles >= 1) fs.renameSync(this.file, nth(1));
    else fs.rmSync(this.file, { force: true });
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const sink = opts.file ? new FileSink(opts.file, opts.maxBytes ?? 5 * 1024 * 1024, opts.maxFiles ?? 3) : null;
  const fileLevel = RANK[opts.level ?? 'info'];
  const errLevel = opts.stderr ? RANK[opts.stderr] : Infinity;
  const stderrWrite = opts.stderrWrite ?? ((line: string) => process.stderr.write(line));

  const emit = (level: LogLevel, msg: string, bindings: LogFields, fields: LogFields | undefined) => {
    const rank = RANK[level];
    if (rank < fileLevel && rank < errLevel) return;
    const record = redactValue({ time: new Date().toISOString(), level, msg, ...bindings, ...fields }) as LogFields;
    if (sink && rank >= fileLevel) {
      try {
        // redact() again over the final text: catches values split across fields by JSON escaping.
        sink.write(redact(JSON.stringify(record)) + '\n');
      } catch {
        // A full disk or a read-only log folder must not break the operation being logged.
      }
    }
    if (rank >= errLevel) {
      const { time: _t, level: _l, msg: m, ...rest } = record;
      const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
      stderrWrite(redact(`[${level}] ${String(m)}${extra}`) + '\n');
    }
  };

  const make = (bindings: LogFields): Logger => ({
    debug: (msg, fields) => emit('debug', msg, bindings, fields),
    info: (msg, fields) => emit('info', msg, bindings, fields),
    warn: (msg, fields) => emit('warn', msg, bindings, fields),
    error: (msg, err, fields) => {
      const isFields = err !== undefined && !(err instanceof Error) && typeof err === 'object' && err !== null && fields === undefined;
      emit('error', msg, bindings, isFields ? (err as LogFields) : { ...(err !== undefined ? { err } : {}), ...fields });
    },
    child: (more) => make({ ...bindings, ...more }),
    close: () => sink?.close(),
  });
  return make({});
}

/** A logger that drops everything (tests, library use without a data dir). */
export const nullLogger: Logger = createLogger();
