import { useEffect, useState } from 'react';
import { useApp } from '../store/context.tsx';
import { formatBytes, formatCount, formatDateTime } from '../lib/time.ts';
import type { ArchiveStats, EvidenceFileView, Theme } from '../../../preload/contract.ts';
import { useAppStore } from '../store/context.tsx';

const ZONES = ['local', 'UTC', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'Asia/Tokyo', 'Asia/Singapore', 'Australia/Sydney'];

export function SettingsScreen() {
  const settings = useApp((s) => s.settings);
  const info = useApp((s) => s.info);
  const update = useApp((s) => s.updateSettings);
  const store = useAppStore();
  const [stats, setStats] = useState<ArchiveStats | null>(null);
  const [evidence, setEvidence] = useState<EvidenceFileView[] | null>(null);
  const [zone, setZone] = useState(settings?.time_zone ?? 'local');
  useEffect(() => setZone(settings?.time_zone ?? 'local'), [settings?.time_zone]);
  useEffect(() => {
    void store.getState().loadArchiveInfo().then(([s, e]) => {
      setStats(s);
      setEvidence(e);
    });
  }, [store]);
  if (!settings) return null;
  const zones = ZONES.includes(settings.time_zone) ? ZONES : [settings.time_zone, ...ZONES];
  return (
    <section className="screen settings-screen" aria-labelledby="settings-title">
      <header className="screen-head">
        <h1 id="settings-title">Settings</h1>
      </header>
      <div className="card form">
        <h2>Display</h2>
        <div className="form-grid">
          <label>
            Time zone for displayed times
            <select
              value={zone}
              onChange={(e) => {
                setZone(e.target.value);
                void update({ time_zone: e.target.value });
              }}
            >
              {zones.map((z) => (
                <option key={z} value={z}>
                  {z === 'local' ? 'This computer’s time zone' : z}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="radio-row">
            <legend>Theme</legend>
            {(['light', 'dark', 'system'] as Theme[]).map((t) => (
              <label key={t} className="check-label">
                <input type="radio" name="theme" value={t} checked={settings.theme === t} onChange={() => void update({ theme: t })} />
                {t === 'system' ? 'Follow the system' : t[0].toUpperCase() + t.slice(1)}
              </label>
            ))}
          </fieldset>
          <div>
            <label className="check-label">
              <input
                type="checkbox"
                checked={settings.start_at_login}
                disabled={info?.host !== 'electron'}
                aria-describedby={info?.host !== 'electron' ? 'start-at-login-note' : undefined}
                onChange={(e) => void update({ start_at_login: e.target.checked })}
              />
              Start Archivist when I log in
            </label>
            {info?.host !== 'electron' && (
              <p id="start-at-login-note" className="muted small">
                Desktop app only: browser mode cannot start itself at login.
              </p>
            )}
          </div>
        </div>
      </div>
      <div className="card">
        <h2>Data folder</h2>
        <p>
          <code>{settings.data_dir}</code>
        </p>
        <p className="muted small">
          The archive (archive.db), job state (state.db) and every evidence file live here. To use another folder, start Archivist with{' '}
          <code>--data-dir</code> or <code>ARCHIVIST_DATA_DIR</code>.
        </p>
        {stats && (
          <dl className="kv">
            <dt>Messages</dt>
            <dd>{formatCount(stats.messages)}</dd>
            <dt>Channels</dt>
            <dd>{formatCount(stats.channels)}</dd>
            <dt>Users</dt>
            <dd>{formatCount(stats.users)}</dd>
            <dt>Earlier versions kept</dt>
            <dd>{formatCount(stats.message_versions)}</dd>
            <dt>Evidence files</dt>
            <dd>{formatCount(stats.files)}</dd>
            <dt>Time span</dt>
            <dd>
              {formatDateTime(stats.first_message_at, settings.time_zone)} – {formatDateTime(stats.last_message_at, settings.time_zone)}
            </dd>
            <dt>Archive size</dt>
            <dd>{formatBytes(stats.db_bytes)}</dd>
          </dl>
        )}
      </div>
      {evidence && evidence.length > 0 && (
        <div className="card">
          <h2>Evidence files</h2>
          <table className="grid compact" aria-label="Evidence files">
            <thead>
              <tr>
                <th scope="col">SHA-256</th>
                <th scope="col">Format</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Messages
                </th>
                <th scope="col">Imported</th>
              </tr>
            </thead>
            <tbody>
              {evidence.slice(0, 200).map((e) => (
                <tr key={e.sha256}>
                  <td>
                    <code className="hash">{e.sha256}</code>
                  </td>
                  <td>{e.format}</td>
                  <td className="num">{formatBytes(e.size)}</td>
                  <td className="num">{formatCount(e.messages)}</td>
                  <td>{formatDateTime(e.imported_at, settings.time_zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="card">
        <h2>About</h2>
        <p className="muted small">
          Archivist {info?.version} · {info?.host === 'electron' ? 'desktop app' : 'browser mode'} · {info?.platform}
        </p>
      </div>
    </section>
  );
}
