import { useEffect, useState, type FormEvent } from 'react';
import { useApp } from '../store/context.tsx';
import { formatDateTime } from '../lib/time.ts';
import type { ProfileView } from '../../../preload/contract.ts';

function AddProfile() {
  const addProfile = useApp((s) => s.addProfile);
  const busy = useApp((s) => s.profileBusy === 'add');
  const [name, setName] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [secret, setSecret] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await addProfile({ name, api_key: apiKey, base_url: baseUrl || undefined, secret });
    setSecret(''); // never keep the secret in the page longer than the request
    if (ok) {
      setName('');
      setApiKey('');
      setBaseUrl('');
    }
  };
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-labelledby="add-profile-title">
      <h2 id="add-profile-title">Add a profile</h2>
      <div className="form-grid">
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme production" />
        </label>
        <label>
          API key
          <input required value={apiKey} onChange={(e) => setApiKey(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
        <label>
          API secret
          <input
            required
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            autoComplete="new-password"
            aria-describedby="secret-note"
          />
        </label>
        <label>
          Base URL <span className="muted">(optional)</span>
          <input type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://chat.stream-io-api.com" />
        </label>
      </div>
      <p id="secret-note" className="muted small">
        The secret is stored in the system keychain and cannot be displayed again. You can replace it at any time.
      </p>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Saving…' : 'Add profile'}
      </button>
    </form>
  );
}

function ProfileRow({ p }: { p: ProfileView }) {
  const test = useApp((s) => s.tests[p.id]);
  const busy = useApp((s) => s.profileBusy);
  const testProfile = useApp((s) => s.testProfile);
  const rotateSecret = useApp((s) => s.rotateSecret);
  const removeProfile = useApp((s) => s.removeProfile);
  const zone = useApp((s) => s.settings?.time_zone ?? 'local');
  const [rotating, setRotating] = useState(false);
  const [secret, setSecret] = useState('');
  const [confirming, setConfirming] = useState(false);
  return (
    <li className="card profile">
      <div className="profile-head">
        <h3>
          {p.name} {p.sandbox && <span className="badge">sandbox</span>}
        </h3>
        <div className="actions">
          <button type="button" className="secondary" disabled={busy === `test:${p.id}`} onClick={() => void testProfile(p.id)}>
            {busy === `test:${p.id}` ? 'Testing…' : 'Test connection'}
          </button>
          {!p.sandbox && (
            <button type="button" className="secondary" onClick={() => setRotating(!rotating)} aria-expanded={rotating}>
              Replace secret
            </button>
          )}
          {confirming ? (
            <>
              <button type="button" className="danger" onClick={() => void removeProfile(p.id)}>
                Confirm removal
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" className="secondary" onClick={() => setConfirming(true)}>
              Remove
            </button>
          )}
        </div>
      </div>
      <dl className="kv">
        <dt>API key</dt>
        <dd>
          <code>{p.api_key}</code>
        </dd>
        <dt>Endpoint</dt>
        <dd>
          <code>{p.base_url}</code>
        </dd>
        <dt>Secret</dt>
        <dd>{p.has_secret ? 'In the system keychain' : p.sandbox ? 'Not needed (sandbox)' : 'Missing — replace it'}</dd>
        <dt>Last connected</dt>
        <dd>{formatDateTime(p.last_connected_at, zone)}</dd>
      </dl>
      {test && (
        <p className={test.outcome === 'ok' ? 'success-text' : 'error-text'} role="status">
          {test.outcome === 'ok' ? '✓ ' : ''}
          {test.message}
        </p>
      )}
      {rotating && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void rotateSecret(p.id, secret).then((ok) => ok && setRotating(false));
            setSecret('');
          }}
        >
          <label>
            New secret for {p.name}
            <input type="password" required value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="new-password" />
          </label>
          <button type="submit" className="primary">
            Save new secret
          </button>
        </form>
      )}
    </li>
  );
}

export function ProfilesScreen() {
  const profiles = useApp((s) => s.profiles);
  const loaded = useApp((s) => s.profilesLoaded);
  const error = useApp((s) => s.profilesError);
  const loadProfiles = useApp((s) => s.loadProfiles);
  useEffect(() => {
    void loadProfiles();
  }, [loadProfiles]);
  return (
    <section className="screen profiles-screen" aria-labelledby="profiles-title">
      <header className="screen-head">
        <h1 id="profiles-title">Profiles</h1>
        <p className="muted">One profile per Stream application. Secrets live in the system keychain only.</p>
      </header>
      {error && (
        <div className="callout callout-error" role="alert">
          {error.message}
        </div>
      )}
      <ul className="profile-list" aria-label="Profiles">
        {profiles.map((p) => (
          <ProfileRow key={p.id} p={p} />
        ))}
        {loaded && profiles.length === 0 && <li className="empty">No profiles yet.</li>}
      </ul>
      <AddProfile />
    </section>
  );
}
