// The HTML report in Debian's Chromium: it opens from a file with no console error and no
// network request, and its charts and tables hold the numbers of the store, read here with
// SQLite itself.
import path from 'node:path';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { launch, check, near, stackParts, options, mlloop, mlloopJson, loopProject, storeQuery } from './lib.mjs';

const o = options();
const { tmp, dir } = loopProject(o, 'underfit', 1500, 2);
// One look at the test set: the decomposition then shows the test error and dev overfitting.
mlloop(o, ['-q', 'test', '--dir', dir]);
const file = path.join(tmp, 'report.html');
const printed = mlloop(o, ['report', '--dir', dir, '-o', file]);
check(/report: .*report\.html/.test(printed), `mlloop report says where it wrote (${printed.trim()})`);
const html = fs.readFileSync(file, 'utf8');
check(!/<script[^>]+src=/i.test(html) && !/<link[^>]+href="(?!data:)/i.test(html), 'the report references no external script or stylesheet');

const { context, close } = await launch();
let failed = null;
try {
  const page = await context.newPage();
  const problems = [], requests = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  const self = pathToFileURL(file).href;
  page.on('request', (r) => { if (r.url() !== self && !r.url().startsWith('data:')) requests.push(r.url()); });
  await context.setOffline(true);
  await page.goto(self);
  await page.waitForFunction(() => window.mlloop && window.mlloop.ready, null, { timeout: 30000 });

  // Iterations: each bar is the decomposition of the incumbent the iteration left, from the store.
  const iterations = storeQuery(dir, "SELECT idx, incumbent, json_extract(detail, '$.incumbent_before') FROM iterations WHERE state = 'finished' ORDER BY idx");
  check(iterations.length >= 1, `the loop ran ${iterations.length} iteration(s)`);
  const incumbents = [iterations[0][2], ...iterations.map((r) => r[1])];  // setup, then after each iteration
  const splitLoss = (run, split) => {
    const rows = storeQuery(dir, `SELECT value FROM metrics WHERE run_id = ${run} AND split = '${split}' AND name = 'error' AND step IS NULL`);
    return rows.length ? rows[0][0] : null;
  };
  // On small data (dev below [analyze] cv_below rows) the decomposition is the cross-validated
  // one a diagnosis cached for the run; dev is then the pooled out-of-fold error.
  const devInPool = (run) => {
    const cv = storeQuery(dir, `SELECT value FROM project WHERE key LIKE 'cv_errors:v4:${run}:%'`);
    return cv.length > 0 && JSON.parse(cv[0][0]).dev_in_pool;
  };
  const loss = (run, split) => {
    const cv = storeQuery(dir, `SELECT value FROM project WHERE key LIKE 'cv_errors:v4:${run}:%'`);
    if (!cv.length) return splitLoss(run, split);
    const e = JSON.parse(cv[0][0]);
    if (split === 'dev') return e.dev_in_pool ? e.train_dev : splitLoss(run, 'dev');
    return e[split];
  };
  const d = mlloopJson(o, ['diagnose', '--dir', dir]);
  check(d.estimated_by === 'cv', `150 dev rows: the errors are cross-validated (estimated_by ${d.estimated_by})`);
  const opt = d.errors.optimal.value;
  const chart = await page.evaluate(() => Object.fromEntries(window.mlloop.charts['chart-iterations'].getOption().series.map((s) => [s.id, s.data])));
  check(chart.dev.length === incumbents.length, `the iterations chart has ${incumbents.length} bars (setup + iterations)`);
  incumbents.forEach((run, i) => {
    const tr = loss(run, 'train'), td = loss(run, 'train_dev'), dv = loss(run, 'dev');
    check(near(chart.dev[i], dv), `bar ${i}: dev error of run ${run} = ${dv} (chart ${chart.dev[i]})`);
    const want = stackParts(opt, tr, td, dv);
    if (devInPool(run)) want.data_mismatch = null;  // dev is in the cross-validation pool: no mismatch to measure
    for (const k of ['optimal', 'avoidable_bias', 'variance', 'data_mismatch'])
      check(near(chart[k][i], want[k]), `bar ${i}: ${k} = ${want[k]} (optimal ${opt}, train ${tr}, train-dev ${td}, dev ${dv})`);
  });

  // The decomposition of the incumbent: the diagnosis.
  const dec = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#decomposition-table tbody tr')]
    .map((tr) => [tr.dataset.key, Number(tr.querySelector('td[data-value]')?.dataset.value)])));
  for (const k of ['train', 'train_dev', 'dev']) check(near(dec[k], loss(d.run, k)), `decomposition ${k} = the store's ${loss(d.run, k)}`);
  const look = storeQuery(dir, `SELECT value FROM test_looks WHERE run_id = ${d.run} ORDER BY id DESC LIMIT 1`);
  check(look.length === 1 && near(dec.test, look[0][0]), `decomposition test = the store's look ${look.length ? look[0][0] : 'none'} (${dec.test})`);
  check(near(dec.dev_overfit, d.gaps.dev_overfit) && near(d.gaps.dev_overfit, look[0][0] - d.errors.dev.value),
        `decomposition dev overfitting = test - dev = ${d.gaps.dev_overfit} (${dec.dev_overfit})`);

  // The runs table: every run of the store, sortable.
  const runs = storeQuery(dir, 'SELECT id FROM runs ORDER BY id DESC').map((r) => r[0]);
  const shown = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => Number(r.dataset.run)));
  check(JSON.stringify(shown) === JSON.stringify(runs), `the runs table lists runs ${shown.join(', ')} newest first`);
  await page.click('#runs th[data-sort="dev"]');
  const byDev = await page.$$eval('#runs tbody tr', (rows) => rows.map((r) => Number(r.querySelector('td:nth-child(7)').dataset.value)));
  check(byDev.every((v, i) => i === 0 || byDev[i - 1] <= v), `sorting by dev orders the rows (${byDev.map((v) => v.toFixed(3)).join(', ')})`);
  for (const run of runs) {
    const v = await page.$eval(`#runs tbody tr[data-run="${run}"] td:nth-child(7)`, (td) => Number(td.dataset.value));
    check(near(v, splitLoss(run, 'dev')), `run ${run}: dev ${v} as in the store`);
  }

  // Confusion matrix: its cells add up to the dev rows.
  const cm = await page.evaluate(() => window.mlloop.charts['chart-predictions'].getOption().series[0].data);
  const devRows = storeQuery(dir, "SELECT count(*) FROM split_rows WHERE split = 'dev'")[0][0];
  check(cm.reduce((s, c) => s + c[2], 0) === devRows, `the confusion matrix counts the ${devRows} dev rows`);

  await page.screenshot({ path: path.join(o.artifacts, 'report.png'), fullPage: true });

  check(requests.length === 0, `no network request (${requests.slice(0, 3).join(', ')})`);
  check(problems.length === 0, `no console error (${problems.slice(0, 3).join('; ')})`);
  // With auc the figures are 1 − AUC, and the page says so where it names the metric.
  const aucDir = path.join(tmp, 'pa'), aucFile = path.join(tmp, 'report-auc.html');
  mlloop(o, ['-q', 'init', path.join(tmp, 'd', 'train.csv'), '--target', 'label', '--dir', aucDir, '--metric', 'auc']);
  mlloop(o, ['-q', 'run', '--dir', aucDir, '--iterations', '1']);
  mlloop(o, ['report', '--dir', aucDir, '-o', aucFile]);
  await page.goto(pathToFileURL(aucFile).href);
  await page.waitForFunction(() => window.mlloop && window.mlloop.ready, null, { timeout: 30000 });
  const metricSaid = await page.$eval('#status [data-key="metric"] dd', (e) => e.textContent);
  check(/^auc \(shown as 1 − auc, a loss/.test(metricSaid), `the metric reads as a loss: "${metricSaid}"`);
  const header = await page.$$eval('#decomposition-table th', (ths) => ths.map((t) => t.textContent));
  check(header.includes('1 − auc'), `the decomposition's column is 1 − auc (${header.join(' | ')})`);
} catch (e) {
  failed = e;
} finally {
  await close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (failed) {
  console.error(failed.stack || failed);
  process.exit(1);
}
