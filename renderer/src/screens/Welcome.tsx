import { useApp } from '../store/context.tsx';

export function WelcomeScreen() {
  const info = useApp((s) => s.info);
  const starting = useApp((s) => s.sandboxStarting);
  const error = useApp((s) => s.sandboxError);
  const startSandbox = useApp((s) => s.startSandbox);
  const navigate = useApp((s) => s.navigate);
  return (
    <section className="screen welcome-screen" aria-labelledby="welcome-title">
      <header className="screen-head">
        <h1 id="welcome-title">Welcome to Archivist</h1>
        <p className="lede">
          Archivist collects chat history from a Stream Chat application through Stream’s export API, keeps every export file as
          evidence (stored by SHA-256), and lets you search and read the conversations offline.
        </p>
      </header>
      <div className="choice-grid">
        <article className="choice">
          <h2>Try the sandbox workspace</h2>
          <p>
            A pre-seeded Stream application runs inside Archivist: channels, direct messages, threads, edits and deletions. No
            account and no network needed — the full collect, verify and search flow works exactly as with a real app.
          </p>
          <button
            type="button"
            className="primary"
            disabled={!info?.sandbox_available || starting}
            aria-busy={starting}
            onClick={() => void startSandbox()}
          >
            {starting ? 'Starting the sandbox…' : 'Open the sandbox workspace'}
          </button>
          {!info?.sandbox_available && <p className="muted">The sandbox is not available in this build.</p>}
          {error && (
            <p className="error-text" role="alert">
              {error.message}
            </p>
          )}
        </article>
        <article className="choice">
          <h2>Connect your Stream application</h2>
          <p>
            Add a profile with your app’s API key and secret. The secret goes straight into the operating system’s keychain and is
            never shown again — not in the app, logs or reports.
          </p>
          <button type="button" className="secondary" onClick={() => navigate({ screen: 'profiles' })}>
            Add a profile
          </button>
        </article>
      </div>
      <p className="muted small">
        Already have export files? Archivist can import them too (<code>archivist import FILE…</code>).
      </p>
    </section>
  );
}
