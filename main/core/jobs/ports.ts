/**
 * What the job engine needs from its neighbours, as narrow interfaces. The engine never imports
 * the Stream client, the profiles or the archive directly: `engine-deps.ts` binds the real ones,
 * which keeps this folder testable on its own and the dependency direction obvious.
 */
import type { ImportProgress, ImportSummary } from '../archive/types.ts';

export interface ChannelExportSpec {
  cid: string;
  messages_since?: string;
  messages_until?: string;
}

export interface ChannelExportOptions {
  version: 'v1' | 'v2';
  include_truncated_messages: boolean;
  include_soft_deleted_channels: boolean;
  /** Always false for legal use (legal.md); kept explicit so the evidence record shows it. */
  clear_deleted_message_text: false;
}

export interface TaskStatusView {
  status: string; // waiting | pending | running | completed | failed | canceled
  url: string | null;
  error: { type: string; description: string } | null;
  /** Stream's timestamps of the task (for a completed task, updated_at is when it completed). */
  created_at?: string;
  updated_at?: string;
}

/** Thrown (or wrapped) by an ExportApi so the engine can tell what to do next. */
export interface ExportApiErrorInfo {
  /** 'task_not_found' → re-request; 'retryable' → back off and retry; anything else → fail the job. */
  kind: 'task_not_found' | 'retryable' | 'fatal';
  message: string;
}

/** A connection to one Stream app (one profile). Retries and rate limits live inside. */
export interface ExportApi {
  exportChannels(channels: ChannelExportSpec[], options: ChannelExportOptions): Promise<{ task_id: string }>;
  exportUsers(userIds: string[]): Promise<{ task_id: string }>;
  getTask(taskId: string, kind: 'channels' | 'users'): Promise<TaskStatusView>;
  /** Every cid matching the QueryChannels filter (all channels for {}). */
  listChannelCids(filter: Record<string, unknown>): Promise<string[]>;
  /** Maps any error thrown by the methods above. */
  classifyError(err: unknown): ExportApiErrorInfo;
  close?(): Promise<void> | void;
}

export interface ArchivePort {
  importFiles(
    paths: string[],
    opts: { onProgress?: (p: ImportProgress) => void; provenance?: Record<string, unknown> },
  ): Promise<ImportSummary>;
  /**
   * Messages the archive holds that it read from the file with this SHA-256 (its sightings),
   * per channel cid and per author user id; null when the archive does not know the file.
   */
  countFileMessages(sha256: string): Promise<{ channels: Map<string, number>; users: Map<string, number> } | null>;
  sqliteVersion?(): Promise<string | null>;
}
