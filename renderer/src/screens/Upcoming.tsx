const TEXT: Record<string, { title: string; body: string }> = {
  backups: { title: 'Backups', body: 'Scheduled, incremental backups of a Stream app arrive in a later release.' },
  matters: { title: 'Matters & holds', body: 'Matters, legal holds and tags arrive in a later release.' },
  audit: { title: 'Audit log', body: 'A hash-chained log of everything done in Archivist arrives in a later release.' },
  productions: { title: 'Productions', body: 'Review sets and productions (RSMF, PDF, CSV, HTML) arrive in a later release.' },
};

export function UpcomingScreen({ screen }: { screen: string }) {
  const t = TEXT[screen] ?? { title: screen, body: '' };
  return (
    <section className="screen" aria-labelledby="upcoming-title">
      <header className="screen-head">
        <h1 id="upcoming-title">{t.title}</h1>
      </header>
      <p className="empty">{t.body}</p>
    </section>
  );
}
