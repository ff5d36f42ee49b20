/**
 * Name, one-line summary and usage of every `archivist` command, kept apart from the command
 * modules so that `archivist --help`, `archivist <command> --help` and usage errors need none of
 * their (heavy) imports: ./index.ts loads a command module only when that command runs.
 */
export interface CommandHelp {
  name: string;
  summary: string;
  usage: string;
}

export const commandHelp = {
  import: {
    name: 'import',
    summary: 'Import Stream export files (v1 JSON, v2 NDJSON, user exports, .gz) into the archive',
    usage: `Usage: archivist import <file...> [--data-dir DIR] [--json]

Reads each file by content (not by name), keeps every message once with all its versions, and
reports lines it could not read. Exit code 0 when every file was read (even with rejected lines),
1 when a file was refused (not an export, unreadable).`,
  },
  search: {
    name: 'search',
    summary: 'Search the archive (words, "phrases", prefix*, AND/OR/NOT, NEAR, from:, in:, before:, has:, is:)',
    usage: `Usage: archivist search "<query>" [--data-dir DIR] [--json] [--limit N] [--sort relevance|newest|oldest] [--facets] [--cursor C]

Query language:
  budget report          both words            "budget report"   the exact phrase
  budg*                  prefix                *udge*            any word containing "udge"
  a OR b, a AND b, NOT a, -a, ( … )            NEAR(budget report, 5)
  from:alice  in:general  before:2024-05-01  after:2024-01-01  on:2024-03-02
  has:attachment  has:reaction  is:reply  is:deleted  is:edited  is:pinned`,
  },
  context: {
    name: 'context',
    summary: 'Show a message with the messages around it in its conversation',
    usage: 'Usage: archivist context <message-id> [--before N] [--after N] [--data-dir DIR] [--json]',
  },
  stats: {
    name: 'stats',
    summary: 'Counts of what the archive holds',
    usage: 'Usage: archivist stats [--data-dir DIR] [--json]',
  },
  serve: {
    name: 'serve',
    summary: 'Run the app in a browser (127.0.0.1 only, one-time link)',
    usage: `Usage: archivist serve [--port P] [--data-dir DIR] [--sandbox] [--open]

Starts browser mode: the Archivist app on http://127.0.0.1 (this machine only), for machines that
cannot run the desktop app. Prints a one-time link that signs one browser in.

  --port P        listen on this port (default: a free one)
  --data-dir DIR  archive location (default: the desktop app's, or ARCHIVIST_DATA_DIR)
  --sandbox       start the sandbox workspace (a local Stream app with seeded data) right away
  --open          open the link in the default browser`,
  },
  export: {
    name: 'export',
    summary: 'Collect channels or users from Stream (durable export jobs)',
    usage: `Usage:
  archivist export channels --profile P (--all | --cid C... | --filter JSON)
                  [--since ISO] [--until ISO] [--include-truncated] [--include-deleted-channels]
                  [--format v1|v2] [--label TEXT] [--wait] [--json] [--data-dir DIR]
  archivist export users --profile P --user U... [--label TEXT] [--wait] [--json] [--data-dir DIR]

Queues a collection: Stream exports in batches of 25, each downloaded, verified, kept as evidence
and imported. Without --wait the collection runs in the Archivist app (or \`archivist jobs run\`);
with --wait it runs here, shows progress and exits 0 only when the collection is complete
(1 when something is missing: see \`archivist report ID\`).

The secret of a Stream profile comes from the system keychain. A *sandbox* profile (the desktop
app's built-in "Sandbox workspace") keeps no secret anywhere: only the running app knows it, so
queue its collections without --wait while the app is open. To collect from \`archivist sandbox\`
with this command, register the sandbox as a profile (see \`archivist sandbox --help\`).`,
  },
  jobs: {
    name: 'jobs',
    summary: 'List, retry, cancel, remove or run export jobs',
    usage: `Usage:
  archivist jobs [--active] [--json] [--data-dir DIR]      list collections and their jobs
  archivist jobs retry ID [--json]                         retry a failed/paused/cancelled job or collection
  archivist jobs cancel ID [--json]                        cancel a job or a whole collection
  archivist jobs remove ID                                 remove a finished job/collection (evidence stays)
  archivist jobs run [--json]                              collect every unfinished collection here, then exit`,
  },
  report: {
    name: 'report',
    summary: 'Completeness report (custody certificate) of a collection',
    usage: `Usage: archivist report COLLECTION [--json] [--data-dir DIR]

Parameters, Stream task ids, evidence files with their SHA-256, messages per channel in the file
vs in the archive, rejected lines and every gap. Exit code 0 when the collection is complete.`,
  },
  sandbox: {
    name: 'sandbox',
    summary: 'Run a local Stream-compatible server with seeded data (no account needed)',
    usage: `Usage: archivist sandbox [--port P] [--seed S] [--messages N] [--faults SPEC] [--json]

Runs a local Stream-compatible server with a seeded, realistic chat application, so the whole
flow (export, poll, download, import, search) can be tried without a Stream account. Prints its
base URL, API key and secret; runs until Ctrl+C.

To collect from it with the CLI, register it like any Stream app (its secret then goes to the
system keychain), from another terminal:
  printf %s "$SECRET" | archivist profile add --name Sandbox --api-key KEY --base-url URL --secret-stdin
  archivist export channels --profile Sandbox --all --wait
(SECRET, KEY and URL as printed.) The port, key and secret are new on every start unless
--port, --api-key and --api-secret pin them, so that the profile stays valid across restarts.
The desktop app's own sandbox workspace needs none of this (its profile keeps no secret).

  --port P           listen on 127.0.0.1:P (default: a free port)
  --seed S           dataset seed (default 1); the same seed gives the same data
  --messages N       messages in the dataset (default 5000; 1000000 works)
  --faults SPEC      misbehave on purpose, e.g. "429:for=30s,5xx:rate=0.1,drop:count=1"
                     kinds: 429 5xx slow hangup fail-task drop truncate expire
                     params: rate= count= every= after= for= endpoints=A|B status= delay= bytes=
                     fraction= ttl= json=false   (see main/sandbox/README.md)
  --latency MS       time an export task takes (default 3000: 1/3 pending, 2/3 running)
  --api-key K        use this API key (default: random)
  --api-secret S     use this API secret (default: random)
  --data-dir DIR     keep export files here (default: a temporary folder, removed on exit)
  --json             print one JSON document instead of text`,
  },
  profile: {
    name: 'profile',
    summary: 'Add, list, test, rotate, re-point or remove Stream app profiles (secrets in the OS keychain)',
    usage: `Usage:
  archivist profile add --name NAME --api-key KEY [--base-url URL] --secret-stdin
  archivist profile list [--json]
  archivist profile test NAME [--json]
  archivist profile rotate NAME --secret-stdin
  archivist profile set-base-url NAME URL [--json]
  archivist profile remove NAME [--force] [--json]
Every subcommand takes --data-dir DIR (or ARCHIVIST_DATA_DIR).

The API secret is read from standard input, e.g.
  printf %s "$STREAM_SECRET" | archivist profile add --name Acme --api-key abc123 --secret-stdin
(at a terminal it is asked for without echo). It is kept only in the system keychain.
The base URL defaults to https://chat.stream-io-api.com (set it for regional endpoints, proxies
or a local \`archivist sandbox\`, e.g. --base-url http://127.0.0.1:PORT). set-base-url changes it
later; the secret stays in the keychain as it is.
--force (remove): remove the profile even if the keychain cannot be reached to delete its secret.
Keychain calls give up after 10 s (ARCHIVIST_KEYCHAIN_TIMEOUT_MS to change).`,
  },
} satisfies Record<string, CommandHelp>;
