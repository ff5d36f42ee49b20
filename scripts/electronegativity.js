#!/usr/bin/env node
// Runs Electronegativity over the Electron main process and preload and fails on any finding
// that main/electron/electronegativity-exceptions.json does not justify. Called by .ci/run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
const electronVersion = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.electron;
const { exceptions } = JSON.parse(fs.readFileSync(path.join(root, 'main/electron/electronegativity-exceptions.json'), 'utf8'));

function parseCsvLine(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

function csvRecords(text) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === '\n' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

// Global checks (CSP, navigation limits, permission handler) look across files, so main and
// preload are scanned together as one app.
const scan = fs.mkdtempSync(path.join(os.tmpdir(), 'eneg-'));
fs.cpSync(path.join(root, 'main/electron'), path.join(scan, 'app/main/electron'), { recursive: true });
fs.cpSync(path.join(root, 'preload/bridge.cts'), path.join(scan, 'app/preload/bridge.ts'));
// The tool writes its CSV report with unsynchronised async writes: now and then a report comes
// out garbled (seen here: a record cut mid-word). A report is accepted only when every record
// parses into a check name, a severity and a file; otherwise the scan is run again (3 tries).
function scanOnce(input, attempt) {
  const out = path.join(scan, `report-${attempt}.csv`);
  const r = spawnSync(process.execPath, [bin, '-i', path.join(scan, input), '-r', '-v', 'false', '-e', electronVersion, '-o', out], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (!fs.existsSync(out)) {
    console.error(`electronegativity did not produce a report for ${input}:\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  // Records, not lines: a quoted field (a code sample) may span several lines.
  const records = csvRecords(fs.readFileSync(out, 'utf8')).slice(1).filter((l) => l.trim());
  const parsed = records.map((l) => {
    const [check, severity, confidence, file, location, sample] = parseCsvLine(l);
    return { input, check, severity, confidence, file, location, sample };
  });
  const wellFormed = parsed.every((f) => /^[A-Z0-9_]+$/.test(f.check) && /^(LOW|MEDIUM|HIGH|INFORMATIONAL)$/.test(f.severity) && f.file);
  return wellFormed ? parsed : null;
}

const findings = [];
for (const input of ['app']) {
  let parsed = null;
  for (let attempt = 1; attempt <= 3 && !parsed; attempt++) parsed = scanOnce(input, attempt);
  if (!parsed) {
    console.error('electronegativity: the report came out malformed three times in a row');
    process.exit(1);
  }
  findings.push(...parsed);
}

const unjustified = findings.filter(
  (f) => !exceptions.some((e) => e.check === f.check && path.basename(f.file) === e.file && (e.sample === '' || f.sample.includes(e.sample))),
);
for (const f of findings) {
  const ok = !unjustified.includes(f);
  console.log(`${ok ? 'justified ' : 'FINDING   '} ${f.check} ${f.severity}/${f.confidence} ${f.input}/${f.file}:${f.location} ${f.sample}`);
}
if (unjustified.length) {
  console.error(`\nelectronegativity: ${unjustified.length} finding(s) without a justification in main/electron/electronegativity-exceptions.json`);
  process.exit(1);
}
console.log(`electronegativity: ${findings.length} finding(s), all justified`);
