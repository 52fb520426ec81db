// The live dashboard in Debian's Chromium: a short loop on a scenario, `mlloop dashboard
// --port 0`, then the page's numbers against `mlloop diagnose --json`, a click on an
// iteration, and a run trained after the page loaded appearing without a reload.
import path from 'node:path';
import fs from 'node:fs';
import { launch, check, near, options, mlloop, mlloopJson, loopProject, startDashboard } from './lib.mjs';

const o = options();
const { tmp, dir } = loopProject(o);
const { url, proc } = await startDashboard(o, dir);
const { context, close } = await launch();
let failed = null;
try {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) outside.push(r.url()); });

  check(url.startsWith('http://127.0.0.1:'), `the dashboard binds loopback by default (${url})`);
  await page.goto(url);
  await page.waitForFunction(() => window.mlloop && window.mlloop.ready, null, { timeout: 60000 });
  await page.evaluate(() => { window.__loadedOnce = true; });

  // The decomposition: the table and the chart hold the numbers of `mlloop diagnose --json`.
  const d = mlloopJson(o, ['diagnose', '--dir', dir]);
  const api = await page.evaluate(async () => (await fetch('/api/diagnosis')).json());
  check(JSON.stringify(api) === JSON.stringify(d), '/api/diagnosis is the same object as mlloop diagnose --json');
  const table = await page.evaluate(() => {
    const t = document.getElementById('decomposition-table');
    const v = {};
    for (const tr of t.querySelectorAll('tbody tr')) {
      const td = tr.querySelector('td[data-value]');
      v[tr.dataset.key] = td ? Number(td.dataset.value) : null;
    }
    return { values: v, run: Number(t.dataset.run), bottleneck: t.dataset.bottleneck };
  });
  check(table.run === d.run && table.bottleneck === d.bottleneck, `the page diagnoses run ${d.run}, bottleneck ${d.bottleneck}`);
  for (const k of ['optimal', 'train', 'train_dev', 'dev'])
    check(near(table.values[k], d.errors[k] ? d.errors[k].value : null), `decomposition table ${k} = ${table.values[k]}`);
  for (const k of ['avoidable_bias', 'variance', 'data_mismatch'])
    check(near(table.values[k], d.gaps[k]), `decomposition table gap ${k} = ${table.values[k]}`);
  // The waterfall: each gap a floating bar from the error before it to the error after it.
  const w = await page.evaluate(() => Object.fromEntries(window.mlloop.charts['chart-decomposition'].getOption().series
    .map((s) => [s.id, s.data.map((x) => (typeof x === 'object' ? x.value : x))])));
  const levels = [0, d.errors.optimal.value, d.errors.train.value, d.errors.train_dev.value, d.errors.dev.value];
  ['optimal', 'avoidable_bias', 'variance', 'data_mismatch'].forEach((k, i) => {
    const lo = Math.min(levels[i], levels[i + 1]), size = Math.abs(levels[i + 1] - levels[i]);
    check(near(w.base[i], lo) && near(w.gap[i], size), `decomposition chart ${k}: from ${lo} over ${size}`);
  });
  check(near(w.base[3] + w.gap[3], Math.max(d.errors.train_dev.value, d.errors.dev.value)), 'the waterfall ends at the dev error (or train-dev above it)');

  // Click an iteration: its runs appear.
  const it = await page.evaluate(async () => (await fetch('/api/iterations/1')).json());
  await page.click('#timeline tbody tr[data-index="1"]');
  await page.waitForSelector('#iteration-runs[data-index="1"] tbody tr', { timeout: 10000 });
  const shown = await page.$$eval('#iteration-runs tbody tr', (rows) => rows.map((r) => Number(r.dataset.run)));
  check(JSON.stringify(shown) === JSON.stringify(it.run_objects.map((r) => r.run)) && shown.length > 0,
        `clicking iteration 1 shows its runs (${shown.join(', ')})`);
  if (it.test) {
    // Its paired test, with a bootstrap's p = 0 read as below its resolution.
    const reason = await page.$eval('#iteration-reason', (e) => e.textContent);
    const p = Number(it.test.p_value);
    const want = p > 0 ? `p = ${p.toPrecision(3)}` : it.test.resamples > 0 ? `p < ${(2 / it.test.resamples).toPrecision(2)}` : 'p < 1e-300';
    check(reason.includes(`Paired ${it.test.name} test`) && reason.includes(want) && !reason.includes('p = 0.00'),
          `iteration 1's paired test reads '${want}' (${reason.slice(-90)})`);
  }

  // A run trained by another process after the page loaded appears without a reload.
  const before = await page.evaluate(() => window.mlloop.refreshes);
  const t = mlloopJson(o, ['train', '--dir', dir, '--model', 'linear', '--param', 'C=0.5']);
  await page.waitForSelector(`#runs tbody tr[data-run="${t.run}"]`, { timeout: 15000 });
  const still = await page.evaluate(() => window.__loadedOnce === true);
  check(still, `run ${t.run}, trained after the page loaded, appears without a reload`);
  check((await page.evaluate(() => window.mlloop.refreshes)) > before, 'the page refreshed itself from /api/summary');
  const total = await page.$eval('#runs', (e) => Number(e.dataset.total));
  check(total === mlloopJson(o, ['runs', '--dir', dir]).length, `the runs table counts every run (${total})`);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(o.artifacts, 'dashboard.png'), fullPage: false });
  await page.screenshot({ path: path.join(o.artifacts, 'dashboard-full.png'), fullPage: true });
  check(fs.statSync(path.join(o.artifacts, 'dashboard.png')).size > 10000, `screenshot saved: ${path.join(o.artifacts, 'dashboard.png')}`);
  check(outside.length === 0, `the page loads nothing from outside the dashboard (${outside.slice(0, 3).join(', ')})`);
  check(problems.length === 0, `no console or page errors (${problems.slice(0, 3).join('; ')})`);
} catch (e) {
  failed = e;
} finally {
  await close();
  proc.kill('SIGINT');
  const code = await new Promise((r) => proc.on('exit', (c) => r(c)));
  if (!failed) check(code === 0, 'Ctrl-C stops the dashboard cleanly (exit 0)');
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (failed) {
  console.error(failed.stack || failed);
  process.exit(1);
}
