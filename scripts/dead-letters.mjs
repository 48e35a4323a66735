// The body of `./pulse dead-letters` (scripts/dead-letters.sh): lists and replays dead letters through the
// local host's operator routes and prints them as a table. The key is read here, never passed on a command line.
import { readFileSync } from 'node:fs';

const usage = `usage: ./pulse dead-letters [list [--state dead|replayed|all] [--limit N] [--cursor C]]
       ./pulse dead-letters replay ID...
       ./pulse dead-letters replay --all`;

const fail = (message, code = 1) => {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
};

const base = process.env.PULSE_DL_BASE_URL ?? 'http://127.0.0.1:7071';

function operatorKey() {
  if (process.env.Operations__OperatorKey) return process.env.Operations__OperatorKey;
  const path = process.env.PULSE_DL_SECRETS;
  try {
    const key = JSON.parse(readFileSync(path, 'utf8')).operatorKey;
    if (key) return key;
  } catch {
    // Reported below.
  }
  fail(`no operator key: ${path} has none (start the host once with ./pulse up) and Operations__OperatorKey is not set`);
}

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(base + path, {
      method,
      headers: { 'X-Operator-Key': operatorKey(), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    fail(`cannot reach the local host at ${base} (is ./pulse up running? PULSE_PORT picks another port)`);
  }
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (response.status === 404) fail('the operator routes are off: the host has no Operations__OperatorKey');
  if (response.status === 401) fail('the host refused the operator key');
  if (!response.ok) fail(`${response.status}: ${json?.detail ?? json?.title ?? text.slice(0, 200)}`);
  return json;
}

function table(rows, columns) {
  const cell = (value) => (value === undefined || value === null ? '-' : String(value)).replace(/[\u0000-\u001f]/g, ' ');
  const widths = columns.map(([title, pick, max]) =>
    Math.min(max ?? Infinity, Math.max(title.length, ...rows.map((r) => cell(pick(r)).length))));
  const line = (values) => values.map((v, i) => (v.length > widths[i] ? v.slice(0, widths[i] - 1) + '…' : v.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(line(columns.map(([title]) => title)));
  for (const row of rows) console.log(line(columns.map(([, pick]) => cell(pick(row)))));
}

async function list(args) {
  const query = new URLSearchParams();
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (!['--state', '--limit', '--cursor'].includes(flag) || value === undefined) fail(usage, 2);
    query.set(flag.slice(2), value);
  }
  const page = await call('GET', `/api/admin/dead-letters?${query}`);
  console.log(`dead: ${page.counts?.dead ?? 0}, replayed: ${page.counts?.replayed ?? 0}`);
  if (page.items.length === 0) {
    console.log('no dead letters');
    return;
  }
  table(page.items, [
    ['ID', (d) => d.id],
    ['STATE', (d) => d.state],
    ['TENANT', (d) => d.tenantId ?? '(undecodable)'],
    ['EVENTS', (d) => d.eventCount],
    ['ATTEMPTS', (d) => d.attempts],
    ['FIRST EVENT', (d) => d.firstEventAt],
    ['ROUTE', (d) => d.firstRoute, 40],
    ['CREATED', (d) => d.createdAt],
    ['LAST ERROR', (d) => d.lastError, 70],
  ]);
  if (page.next) console.log(`more: ./pulse dead-letters list --cursor ${page.next}${query.get('state') ? ` --state ${query.get('state')}` : ''}`);
}

async function replay(args) {
  if (args.length === 0) fail(usage, 2);
  const rows = [];
  const record = (report) => {
    for (const id of report.replayed) rows.push({ id, result: 'replayed' });
    for (const d of report.stillDead) rows.push({ id: d.id, result: 'still dead', attempts: d.attempts, events: d.eventCount, error: d.error });
    for (const id of report.notDead) rows.push({ id, result: 'not dead (unknown or already replayed)' });
  };
  if (args.length === 1 && args[0] === '--all') {
    let after;
    do {
      const report = await call('POST', '/api/admin/dead-letters/replay', after === undefined ? { all: true } : { all: true, after });
      record(report);
      after = report.next;
    } while (after !== undefined && after !== null);
  } else {
    if (!args.every((a) => /^[1-9][0-9]{0,18}$/.test(a))) fail(usage, 2);
    const ids = args.map(Number);
    for (let i = 0; i < ids.length; i += 1000) record(await call('POST', '/api/admin/dead-letters/replay', { ids: ids.slice(i, i + 1000) }));
  }
  if (rows.length === 0) {
    console.log('nothing to replay');
    return;
  }
  rows.sort((a, b) => a.id - b.id);
  table(rows, [
    ['ID', (r) => r.id],
    ['RESULT', (r) => r.result],
    ['ATTEMPTS', (r) => r.attempts],
    ['EVENTS', (r) => r.events],
    ['ERROR', (r) => r.error, 70],
  ]);
  const count = (result) => rows.filter((r) => r.result === result).length;
  console.log(`replayed: ${count('replayed')}, still dead: ${count('still dead')}`);
}

const [command = 'list', ...rest] = process.argv.slice(2);
if (command === 'list') await list(rest);
else if (command === 'replay') await replay(rest);
else if (['help', '-h', '--help'].includes(command)) console.log(usage);
else fail(usage, 2);
