import { useEffect, useState } from 'react';
import type { CollectionView, JobError, JobView } from '../../../preload/contract.ts';
import { useApp } from '../store/context.tsx';
import { formatBytes, formatCount, formatDateTime } from '../lib/time.ts';

/** What the user can do about a job error, by the engine's error code. */
export function remedyFor(e: JobError): string {
  switch (e.code) {
    case 'disk_full':
      return 'Free disk space on the data folder’s drive, then Retry: the job resumes where it stopped.';
    case 'stream_task_failed':
      return 'Stream could not build this export. Retry asks for a new export; if it fails again, contact Stream support with the task id.';
    case 'download_failed':
    case 'truncated':
      return 'The download did not complete. Retry fetches a fresh link and downloads again; partial files are never used.';
    case 'import_refused':
      return 'The file was kept as evidence but could not be read as an export. Check the report for the reason.';
    case 'auth':
    case 'wrong_secret':
    case 'wrong_key':
      return 'Check the profile’s API key and secret (Profiles → Test connection), then Retry.';
    case 'rate_limited':
      return 'Stream is limiting requests. The job retries by itself; Retry now only if it has stopped.';
    default:
      return 'Retry resumes the job from the step where it stopped.';
  }
}

const STATE_LABEL: Record<string, string> = {
  queued: 'Queued',
  requested: 'Requested',
  waiting: 'Stream is preparing',
  downloading: 'Downloading',
  verifying: 'Verifying',
  importing: 'Importing',
  done: 'Done',
  failed: 'Failed',
  paused: 'Paused',
  cancelled: 'Cancelled',
  resolving: 'Resolving',
  running: 'Running',
  complete: 'Complete',
  incomplete: 'Incomplete',
};

function StateBadge({ state }: { state: string }) {
  return <span className={`state state-${state}`}>{STATE_LABEL[state] ?? state}</span>;
}

function JobRow({ job }: { job: JobView }) {
  const live = useApp((s) => s.live[job.id]);
  const retry = useApp((s) => s.retryJob);
  const cancel = useApp((s) => s.cancelJob);
  const pct = job.total_bytes ? Math.min(100, Math.round((job.bytes_downloaded / job.total_bytes) * 100)) : null;
  const working = !['done', 'failed', 'paused', 'cancelled'].includes(job.state);
  return (
    <tr>
      <td className="num">{job.seq}</td>
      <td>
        <span title={job.targets.join(', ')}>
          {job.targets.slice(0, 3).join(', ')}
          {job.targets.length > 3 ? ` +${job.targets.length - 3}` : ''}
        </span>
      </td>
      <td>
        <StateBadge state={job.state} />
        {live?.message && working && <div className="muted small">{live.message}</div>}
      </td>
      <td>
        {job.state === 'downloading' && (
          <progress max={100} value={pct ?? undefined} aria-label={`Download of job ${job.seq}`}>
            {pct ?? ''}%
          </progress>
        )}
        <div className="small">
          {formatBytes(job.bytes_downloaded)}
          {job.total_bytes ? ` of ${formatBytes(job.total_bytes)}` : ''}
          {live && working && live.bytes_per_second > 0 ? ` · ${formatBytes(live.bytes_per_second)}/s` : ''}
        </div>
      </td>
      <td className="num">{job.imported ? formatCount(job.imported.messages) : '—'}</td>
      <td>
        {job.evidence_sha256 ? (
          <code className="hash" title={job.evidence_sha256}>
            {job.evidence_sha256.slice(0, 12)}…
          </code>
        ) : (
          '—'
        )}
      </td>
      <td>
        {job.error && (
          <div className="job-error" role="alert">
            <strong>{job.error.message}</strong>
            <div className="small">{remedyFor(job.error)}</div>
          </div>
        )}
        <div className="actions">
          {['failed', 'paused', 'cancelled'].includes(job.state) && (
            <button type="button" className="secondary small" onClick={() => void retry(job.id)}>
              Retry
            </button>
          )}
          {working && (
            <button type="button" className="secondary small" onClick={() => void cancel(job.id)}>
              Cancel
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

function Report({ collection }: { collection: CollectionView }) {
  const report = useApp((s) => s.reports[collection.id]);
  if (!report) return null;
  return (
    <div className="report" role="region" aria-label="Completeness report">
      <p className={report.complete ? 'success-text' : 'error-text'}>
        {report.complete ? '✓ Complete: every requested target is accounted for.' : `Incomplete: ${report.gaps.length} gap(s).`}
      </p>
      {report.gaps.length > 0 && (
        <ul>
          {report.gaps.map((g) => (
            <li key={g}>{g}</li>
          ))}
        </ul>
      )}
      <table className="grid compact" aria-label="Per-target completeness">
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">In file</th>
            <th scope="col" className="num">
              Messages in file
            </th>
            <th scope="col" className="num">
              In archive
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {report.targets.map((t) => (
            <tr key={t.target}>
              <td>
                <code>{t.target}</code>
              </td>
              <td>{t.in_file ? 'yes' : 'no'}</td>
              <td className="num">{formatCount(t.messages_in_file)}</td>
              <td className="num">{t.messages_in_archive == null ? '—' : formatCount(t.messages_in_archive)}</td>
              <td>
                <StateBadge state={t.status === 'ok' ? 'done' : t.status} /> {t.note}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Evidence files</h4>
      <ul className="evidence">
        {report.evidence.map((e) => (
          <li key={e.sha256}>
            <code>{e.sha256}</code> <span className="muted">{formatBytes(e.size)} · task {e.task_id ?? '—'}</span>
          </li>
        ))}
      </ul>
      <p className="muted small">
        Report hash <code>{report.report_sha256}</code>
      </p>
    </div>
  );
}

function Collection({ c }: { c: CollectionView }) {
  const zone = useApp((s) => s.settings?.time_zone ?? 'local');
  const profiles = useApp((s) => s.profiles);
  const retry = useApp((s) => s.retryJob);
  const cancel = useApp((s) => s.cancelJob);
  const loadReport = useApp((s) => s.loadReport);
  const [showReport, setShowReport] = useState(false);
  const done = c.totals.by_state.done ?? 0;
  const finished = ['complete', 'incomplete', 'cancelled'].includes(c.state);
  useEffect(() => {
    if (showReport) void loadReport(c.id);
  }, [showReport, c.state, c.id, loadReport]);
  const profileName = profiles.find((p) => p.id === c.profile_id)?.name ?? c.profile_id;
  return (
    <article className="card collection" aria-labelledby={`col-${c.id}`} data-state={c.state}>
      <header className="collection-head">
        <div>
          <h2 id={`col-${c.id}`}>
            {c.label ?? `${c.totals.targets} ${c.kind}`} <StateBadge state={c.state} />
          </h2>
          <p className="muted small">
            {profileName} · started {formatDateTime(c.created_at, zone)}
            {c.finished_at ? ` · finished ${formatDateTime(c.finished_at, zone)}` : ''}
          </p>
        </div>
        <div className="actions">
          {!finished && (
            <button type="button" className="secondary" onClick={() => void cancel(c.id)}>
              Cancel all
            </button>
          )}
          {(c.totals.by_state.failed ?? 0) + (c.totals.by_state.paused ?? 0) > 0 && (
            <button type="button" className="secondary" onClick={() => void retry(c.id)}>
              Retry failed
            </button>
          )}
          <button type="button" className="secondary" aria-expanded={showReport} onClick={() => setShowReport(!showReport)}>
            {showReport ? 'Hide report' : 'Completeness report'}
          </button>
        </div>
      </header>
      <div className="collection-progress">
        <progress max={c.totals.jobs || 1} value={done} aria-label={`Jobs done in this collection`} />
        <span className="small">
          {done} of {c.totals.jobs} jobs done · {formatCount(c.totals.messages_imported)} messages imported · {formatBytes(c.totals.bytes_downloaded)}
          {c.totals.rejected_lines ? ` · ${c.totals.rejected_lines} rejected lines` : ''}
        </span>
      </div>
      {(c.summary || c.error) && <p className="callout callout-warn">{c.error ?? c.summary}</p>}
      <table className="grid compact" aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col" className="num">
              #
            </th>
            <th scope="col">Targets</th>
            <th scope="col">State</th>
            <th scope="col">Download</th>
            <th scope="col" className="num">
              Messages
            </th>
            <th scope="col">Evidence (SHA-256)</th>
            <th scope="col">
              <span className="visually-hidden">Problems and actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {c.jobs.map((j) => (
            <JobRow key={j.id} job={j} />
          ))}
        </tbody>
      </table>
      {showReport && <Report collection={c} />}
    </article>
  );
}

export function JobsScreen() {
  const collections = useApp((s) => s.collections);
  const loaded = useApp((s) => s.collectionsLoaded);
  const error = useApp((s) => s.jobsError);
  const load = useApp((s) => s.loadCollections);
  const loadProfiles = useApp((s) => s.loadProfiles);
  const navigate = useApp((s) => s.navigate);
  useEffect(() => {
    void load();
    void loadProfiles();
  }, [load, loadProfiles]);
  return (
    <section className="screen jobs-screen" aria-labelledby="jobs-title">
      <header className="screen-head">
        <h1 id="jobs-title">Jobs</h1>
        <p className="muted">Every collection is split into jobs that survive restarts. Each export file is verified and kept as evidence.</p>
      </header>
      {error && (
        <div className="callout callout-error" role="alert">
          {error.message}
        </div>
      )}
      {loaded && collections.length === 0 && !error && (
        <p className="empty">
          Nothing collected yet.{' '}
          <button type="button" className="link-button" onClick={() => navigate({ screen: 'collect' })}>
            Choose channels to collect
          </button>
        </p>
      )}
      <div className="collections">
        {collections.map((c) => (
          <Collection key={c.id} c={c} />
        ))}
      </div>
    </section>
  );
}
