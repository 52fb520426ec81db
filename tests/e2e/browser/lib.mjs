// Shared by the browser tests: Debian's Chromium, headless, driven by playwright-core.
// The flags keep Chromium off the network (this machine's is closed; see DESIGN.md).
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export async function launch() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlloop-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.MLLOOP_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

export function check(cond, message) {
  if (!cond) throw new Error('FAILED: ' + message);
  console.log('ok - ' + message);
}

export function near(a, b, tol = 1e-9) {
  if (a === null || b === null || a === undefined || b === undefined) return a === b || (a == null && b == null);
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

import { spawn, execFileSync } from 'node:child_process';

// Command-line options: --mlloop BIN --shared DIR --artifacts DIR.
export function options() {
  const o = { mlloop: path.join(root, 'build', 'mlloop'), shared: path.resolve(root, '..', 'shared'), artifacts: path.join(root, 'tests', 'artifacts') };
  const a = process.argv.slice(2);
  for (let i = 0; i + 1 < a.length; i += 2) o[a[i].replace(/^--/, '')] = a[i + 1];
  fs.mkdirSync(o.artifacts, { recursive: true });
  return o;
}

export function mlloop(o, args) {
  return execFileSync(o.mlloop, args, { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}
export const mlloopJson = (o, args) => JSON.parse(mlloop(o, [...args, '--json']));

// A project on a scenario with a short loop already run; returns its folder.
export function loopProject(o, scenario = 'underfit', rows = 1500, iterations = 2) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlloop-browser-'));
  execFileSync('python3', [path.join(o.shared, 'scenarios', 'make_scenario.py'), scenario, path.join(tmp, 'd'), '--seed', '2', '--rows', String(rows)]);
  const truth = JSON.parse(fs.readFileSync(path.join(tmp, 'd', 'truth.json'), 'utf8'));
  const dir = path.join(tmp, 'p');
  mlloop(o, ['-q', 'init', path.join(tmp, 'd', 'train.csv'), '--target', truth.target, '--dir', dir]);
  mlloop(o, ['-q', 'run', '--dir', dir, '--iterations', String(iterations)]);
  return { tmp, dir };
}

// Reads the store with SQLite itself (Python's sqlite3), not through mlloop.
export function storeQuery(dir, sql) {
  const out = execFileSync('python3', ['-c',
    'import json, sqlite3, sys; c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True); print(json.dumps(c.execute(sys.argv[2]).fetchall()))',
    path.join(dir, '.mlloop', 'store.db'), sql], { encoding: 'utf8' });
  return JSON.parse(out);
}

// Starts `mlloop dashboard --port 0` and resolves with { url, proc } once it prints its URL.
export function startDashboard(o, dir) {
  return new Promise((resolve, reject) => {
    const proc = spawn(o.mlloop, ['dashboard', '--dir', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error('the dashboard printed no URL within 20 s: ' + err)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve({ url: m[0], proc }); }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the dashboard exited with ${code}: ${err}`)); });
  });
}

// The stacked parts of an iteration's decomposition: the bound, then each gap clipped at 0.
export function stackParts(opt, train, trainDev, dev) {
  return { optimal: opt ?? 0, avoidable_bias: Math.max(0, train - (opt ?? 0)), variance: Math.max(0, trainDev - train),
           data_mismatch: Math.max(0, dev - trainDev) };
}
