// The mlloop page: the live dashboard (data from /api, refreshed while a loop writes) and the
// self-contained report (data inline in window.MLLOOP_DATA). Same views, same code.
(function () {
  'use strict';
  const REPORT = window.MLLOOP_DATA || null;
  const POLL_MS = 1000;
  const state = {
    metric: 'error', incumbent: null, version: null, analysesKey: null,
    runsQuery: { offset: 0, limit: 50, sort: 'run', order: 'desc' },
    selectedIteration: null, iterations: [], optimal: null,
  };
  const charts = {};
  const timings = { start: performance.now(), firstChart: null };
  // For the browser tests and the benchmark: the charts, the state, and when the first chart was drawn.
  window.mlloop = { charts, state, timings, ready: false, refreshes: 0 };

  // ---- data: the API, or the report's inline copy of what the API would answer ----
  async function api(path) {
    const res = await fetch(path, { cache: 'no-store' });
    let body = null;
    try { body = await res.json(); } catch (e) { throw new Error(`${path}: HTTP ${res.status}`); }
    if (!res.ok) throw new Error(body && body.error ? body.error.message : `${path}: HTTP ${res.status}`);
    return body;
  }
  function need(v, what) {
    if (v === null || v === undefined) throw new Error(`${what} is not available in this report`);
    return v;
  }
  const source = REPORT ? {
    status: async () => REPORT.status,
    summary: async () => REPORT.summary,
    diagnosis: async () => need(REPORT.diagnosis, 'the diagnosis'),
    iterations: async () => REPORT.iterations,
    iteration: async (i) => need(REPORT.iteration_runs[String(i)], `iteration ${i}`),
    runs: async (q) => runsPage(REPORT.runs, q),
    predictions: async () => need(REPORT.predictions, 'the predictions'),
    inspect: async (what) => need(REPORT.inspect[what], `the ${what} table`),
  } : {
    status: () => api('/api/status'),
    summary: () => api('/api/summary'),
    diagnosis: () => api('/api/diagnosis'),
    iterations: () => api('/api/iterations'),
    iteration: (i) => api(`/api/iterations/${i}`),
    runs: (q) => api('/api/runs?' + new URLSearchParams(q)),
    predictions: () => api('/api/predictions'),
    inspect: (what) => api(`/api/inspect/${what}`),
  };

  // The report holds every run: page and sort them here as the server does (views.cpp):
  // missing values last, ties by run id in the same direction.
  function runsPage(all, q) {
    const key = q.sort;
    const value = (r) => {
      if (key === 'run') return r.run;
      if (key === 'train' || key === 'train_dev' || key === 'dev') return r.errors[key];
      return r[key];
    };
    const dir = q.order === 'desc' ? -1 : 1;
    const sorted = all.slice().sort((a, b) => {
      const va = value(a), vb = value(b);
      const na = va === null || va === undefined, nb = vb === null || vb === undefined;
      if (na !== nb) return na ? 1 : -1;
      if (!na && va !== vb) return (va < vb ? -1 : 1) * dir;
      return (a.run - b.run) * dir;
    });
    return { total: all.length, offset: q.offset, limit: q.limit, sort: q.sort, order: q.order,
             runs: sorted.slice(q.offset, q.offset + q.limit) };
  }

  // ---- helpers ----
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid instanceof Node ? kid : String(kid));
    return e;
  }
  const isNum = (v) => typeof v === 'number' && isFinite(v);
  function fmt(v) {
    if (!isNum(v)) return '–';
    if (state.metric === 'error') return (100 * v).toFixed(2) + '%';
    return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
  }
  // Figures are losses: for auc and f1 that is 1 − the score, and the labels say so.
  const scored = (m) => m === 'auc' || m === 'f1';
  const lossName = (m) => (scored(m) ? `1 − ${m}` : m);
  function fmtSigned(v) { return isNum(v) ? (v >= 0 ? '+' : '−') + fmt(Math.abs(v)) : '–'; }
  // A bootstrap that never crossed 0 gives p = 0: its resolution (2 / resamples), not a certainty.
  function pSaid(test) {
    const p = Number(test.p_value);
    if (p > 0) return `= ${p.toPrecision(3)}`;
    return test.resamples > 0 ? `< ${(2 / test.resamples).toPrecision(2)}` : '< 1e-300';  // an exact tail below a double's range
  }
  function numCell(v, f) { return el('td', { class: 'num', 'data-value': isNum(v) ? v : null }, (f || fmt)(v)); }
  function note(id, text, isError) {
    const n = $(id);
    if (!n) return;
    n.textContent = text || '';
    n.classList.toggle('error', !!isError);
  }
  function table(id, headers, rows) {
    const t = $(id);
    t.replaceChildren(el('thead', {}, el('tr', {}, headers.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)))),
                      el('tbody', {}, rows));
    return t;
  }
  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init($(id), null, { renderer: 'canvas' });
      charts[id].on('finished', () => {
        if (timings.firstChart === null) timings.firstChart = performance.now();
      });
      window.addEventListener('resize', () => charts[id].resize());
    }
    return charts[id];
  }
  const COLORS = { optimal: '#98a2b3', avoidable_bias: '#f79009', variance: '#2a6fdb', data_mismatch: '#9e77ed', dev_overfit: '#d92d20', dev: '#b42318', train: '#1a7f37' };
  // The floating bars of a waterfall from 0 to the dev error: the bound, then each gap from
  // the error before it to the error after it. A negative gap is drawn too, lighter.
  // After a look at the test set, one more step: dev overfitting, from dev to test.
  function waterfall(opt, train, trainDev, dev, test) {
    const steps = [];
    let level = 0;
    const step = (key, to) => {
      if (!isNum(to)) { steps.push({ key, base: 0, size: 0, gap: null }); return; }
      steps.push({ key, base: Math.min(level, to), size: Math.abs(to - level), gap: to - level });
      level = to;
    };
    step('optimal', isNum(opt) ? opt : 0);
    step('avoidable_bias', train);
    step('variance', trainDev);
    step('data_mismatch', dev);
    if (isNum(test)) step('dev_overfit', test);
    return steps;
  }
  const PARTS = [['optimal', 'optimal'], ['avoidable_bias', 'avoidable bias'], ['variance', 'variance'], ['data_mismatch', 'mismatch']];

  // ---- status ----
  function renderStatus(s) {
    state.metric = s.metric;
    $('project').textContent = s.project;
    document.title = `mlloop · ${s.project}`;
    const items = [
      ['task', `${s.task}, target ${s.target}`], ['metric', scored(s.metric) ? `${s.metric} (shown as 1 − ${s.metric}, a loss: lower is better)` : s.metric],
      ['rows', `train ${s.rows.train} · train-dev ${s.rows.train_dev} · dev ${s.rows.dev} · test ${s.rows.test}`],
      ['goal', isNum(s.goal) ? fmt(s.goal) : 'none'],
      ['best', s.best ? `run ${s.best.run} (${s.best.model}), dev ${fmt(s.best.dev)}${s.best.estimated_by === 'cv' ? ` out of fold (${fmt(s.best.dev_split)} on the dev split)` : ''}` : 'no finished run'],
      ['bottleneck', s.bottleneck || '–'], ['iterations', s.iterations], ['test looks', s.test_looks],
    ];
    $('status').replaceChildren(...items.map(([k, v]) => el('div', { 'data-key': k }, el('dt', {}, k), el('dd', {}, v))));
  }

  // ---- the current decomposition (the diagnosis) ----
  function renderDiagnosis(d) {
    state.optimal = d.errors.optimal;
    const e = d.errors, g = d.gaps;
    const rows = [];
    const looked = !!e.test;  // the test error, once mlloop test looked at it
    for (const [key, label] of [['optimal', 'optimal'], ['train', 'train'], ['train_dev', 'train-dev'], ['dev', 'dev'], ...(looked ? [['test', 'test (looked at)']] : [])]) {
      const v = e[key];
      rows.push(el('tr', { 'data-key': key }, el('td', {}, label + (key === 'optimal' && v && v.source ? ` (${v.source})` : '')),
        numCell(v ? v.value : null), el('td', { class: 'num interval' }, v ? `[${fmt(v.low)}, ${fmt(v.high)}]` : '')));
    }
    for (const [key, label] of [['avoidable_bias', 'avoidable bias'], ['variance', 'variance'], ['data_mismatch', 'mismatch'], ...(looked ? [['dev_overfit', 'dev overfitting']] : [])])
      rows.push(el('tr', { 'data-key': key, class: d.bottleneck === key ? 'selected' : null }, el('td', {}, 'gap: ' + label),
        numCell(g[key], fmtSigned), el('td', {}, d.bottleneck === key ? 'bottleneck' : '')));
    table('decomposition-table', [`run ${d.run}`, { label: lossName(d.metric), num: true }, { label: '95% interval', num: true }], rows);
    $('decomposition-table').dataset.bottleneck = d.bottleneck;
    $('decomposition-table').dataset.run = d.run;

    // A waterfall: each gap is a floating bar from the error before it to the error after it,
    // so a negative gap (train-dev below train, say) shows as one, and the last bar ends at dev.
    const opt = e.optimal ? e.optimal.value : null;
    const steps = waterfall(opt, e.train && e.train.value, e.train_dev && e.train_dev.value, e.dev && e.dev.value, looked ? e.test.value : null);
    const names = { optimal: isNum(opt) ? 'optimal' : 'optimal (unknown)', avoidable_bias: 'avoidable bias', variance: 'variance', data_mismatch: 'mismatch', dev_overfit: 'dev overfitting' };
    chart('chart-decomposition').setOption({
      animation: false,
      tooltip: { trigger: 'item', formatter: (p) => p.seriesId === 'base' ? '' : `${names[steps[p.dataIndex].key]}: ${fmtSigned(steps[p.dataIndex].gap)}` },
      grid: { left: 110, right: 30, top: 20, bottom: 30 },
      xAxis: { type: 'value', name: lossName(d.metric), axisLabel: { formatter: fmt } },
      yAxis: { type: 'category', inverse: true, data: steps.map((s) => names[s.key]) },
      series: [
        { id: 'base', type: 'bar', stack: 'w', silent: true, itemStyle: { color: 'transparent' }, data: steps.map((s) => s.base) },
        { id: 'gap', type: 'bar', stack: 'w', data: steps.map((s) => ({
            value: s.size, gap: s.gap,
            itemStyle: { color: COLORS[s.key], opacity: s.gap !== null && s.gap < 0 ? 0.35 : 1 } })),
          label: { show: true, position: 'right', formatter: (p) => (steps[p.dataIndex].key === 'optimal' ? fmt : fmtSigned)(steps[p.dataIndex].gap) } },
      ],
    }, true);
    $('findings').replaceChildren(...(d.findings || []).map((f) =>
      el('li', { class: 'sev-' + f.severity }, el('b', {}, f.code), ' ', f.summary, el('br'), el('span', { class: 'hint' }, 'fix: ' + f.fix))));
    renderCurve(d.learning_curve, e.optimal);
  }

  // ---- iterations: stacked decomposition per iteration, and the timeline ----
  function renderIterations(data) {
    state.iterations = data.iterations;
    const its = data.iterations;
    const labels = its.map((it) => `#${it.index} ${it.remedy}`);
    chart('chart-iterations').setOption({
      animation: false,
      tooltip: { trigger: 'axis', valueFormatter: fmt },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 60 },
      xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', name: lossName(state.metric), axisLabel: { formatter: fmt } },
      series: PARTS.map(([key, label]) => ({
        id: key, name: label, type: 'bar', stack: 'e', itemStyle: { color: COLORS[key] },
        data: its.map((it) => it.bars[key]),
      })).concat([{ id: 'dev', name: 'dev error', type: 'line', itemStyle: { color: COLORS.dev }, data: its.map((it) => it.errors.dev) }]),
    }, true);
    chart('chart-iterations').off('click');
    chart('chart-iterations').on('click', (p) => selectIteration(its[p.dataIndex].index));

    const rows = its.map((it) => {
      const decision = it.index === 0 ? 'start' : it.state !== 'finished' ? 'in progress' : it.accepted ? 'accepted' : 'did not help';
      return el('tr', { 'data-index': it.index, class: it.index === state.selectedIteration ? 'selected' : null, onclick: () => selectIteration(it.index) },
        el('td', {}, it.index), el('td', {}, it.remedy), el('td', {}, it.bottleneck || ''), el('td', {}, it.reason || ''),
        numCell(it.dev_before), numCell(it.dev_after ?? (it.index === 0 ? it.errors.dev : null)),
        el('td', { class: it.accepted && it.index > 0 ? 'accepted' : 'rejected' }, decision),
        el('td', { class: 'num' }, (it.runs || []).length), el('td', { class: 'num' }, isNum(it.seconds) ? it.seconds.toFixed(1) : ''));
    });
    table('timeline', ['#', 'remedy', 'bottleneck', 'reason', { label: 'dev before', num: true }, { label: 'dev after', num: true },
      'decision', { label: 'runs', num: true }, { label: 'seconds', num: true }], rows);
  }

  async function selectIteration(index) {
    state.selectedIteration = index;
    for (const tr of $('timeline').querySelectorAll('tbody tr')) tr.classList.toggle('selected', Number(tr.dataset.index) === index);
    try {
      const it = await source.iteration(index);
      $('iteration-detail').hidden = false;
      $('iteration-title').textContent = `Iteration ${it.index}: ${it.remedy}` + (it.index > 0 ? (it.accepted ? ' (accepted)' : it.state === 'finished' ? ' (did not help)' : ' (in progress)') : '');
      const test = it.test ? ` Paired ${it.test.name} test: difference ${fmtSigned(it.test.diff)} [${fmt(it.test.low)}, ${fmt(it.test.high)}], p ${pSaid(it.test)}.` : '';
      $('iteration-reason').textContent = (it.reason || '') + test;
      $('iteration-runs').dataset.index = it.index;
      table('iteration-runs', ['run', 'model', 'status', { label: 'train', num: true }, { label: 'train-dev', num: true }, { label: 'dev', num: true }, 'params'],
        it.run_objects.map(runRow));
    } catch (err) {
      $('iteration-detail').hidden = false;
      $('iteration-title').textContent = `Iteration ${index}`;
      $('iteration-reason').textContent = err.message;
    }
  }

  // ---- learning curve ----
  function renderCurve(c, optimal) {
    if (!c) {
      note('curve-note', 'No learning curve for this run yet: mlloop diagnose computes it.');
      chart('chart-curve').clear();
      return;
    }
    const pts = c.points;
    const n = pts.map((p) => p.rows);
    const series = [
      { id: 'train', name: 'train', type: 'line', symbolSize: 7, itemStyle: { color: COLORS.train }, data: pts.map((p) => [p.rows, p.train]) },
      { id: 'dev', name: 'dev', type: 'line', symbolSize: 7, itemStyle: { color: COLORS.dev }, data: pts.map((p) => [p.rows, p.dev]) },
      { id: 'dev_band', name: 'dev interval', type: 'custom', itemStyle: { color: COLORS.dev },
        renderItem: (params, api) => {
          const lo = api.coord([api.value(0), api.value(1)]), hi = api.coord([api.value(0), api.value(2)]);
          return { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: COLORS.dev, lineWidth: 1.5 } };
        },
        data: pts.map((p) => [p.rows, p.dev_low, p.dev_high]) },
    ];
    let text = c.estimated_by === 'cv'
      ? `${c.model}, dev out of fold (${c.pool}), ${c.repeats} folds per size.`
      : `${c.model}, ${c.repeats} repeats per size.`;
    if (c.extrapolated && c.fit) {
      const f = (x) => c.fit.a * Math.pow(x, -c.fit.b) + c.fit.c;
      const maxN = n[n.length - 1], fit = [];
      for (let k = 0; k <= 40; k++) { const x = n[0] * Math.pow((10 * maxN) / n[0], k / 40); fit.push([x, f(x)]); }
      series.push({ id: 'fit', name: `fit: ${c.fit.a.toPrecision(3)}·n^-${c.fit.b.toPrecision(3)} + ${c.fit.c.toPrecision(3)}`, type: 'line',
        showSymbol: false, lineStyle: { type: 'dashed' }, itemStyle: { color: '#475467' }, data: fit });
      series.push({ id: 'forecast', name: 'forecast at 2x and 10x', type: 'scatter', symbol: 'diamond', symbolSize: 11, itemStyle: { color: '#475467' },
        data: [[2 * maxN, c.predicted_dev_at_2x], [10 * maxN, c.predicted_dev_at_10x]] });
      text += ` Fit err(n) = a·n^(−b) + c; forecast dev ${fmt(c.predicted_dev_at_2x)} at 2x the data` +
        ` [${fmt(c.predicted_dev_at_2x_range[0])}, ${fmt(c.predicted_dev_at_2x_range[1])}], ${fmt(c.predicted_dev_at_10x)} at 10x` +
        ` [${fmt(c.predicted_dev_at_10x_range[0])}, ${fmt(c.predicted_dev_at_10x_range[1])}].`;
    } else {
      text += ` Not extrapolated: ${c.reason || 'the curve does not have the shape of a power law'}.`;
    }
    if (optimal && isNum(optimal.value))
      series.push({ id: 'optimal', name: 'optimal', type: 'line', showSymbol: false, lineStyle: { type: 'dotted' }, itemStyle: { color: COLORS.optimal },
        data: [[n[0], optimal.value], [10 * n[n.length - 1], optimal.value]] });
    note('curve-note', text);
    chart('chart-curve').setOption({
      animation: false,
      tooltip: { trigger: 'item', valueFormatter: fmt },
      legend: { top: 0 },
      grid: { left: 60, right: 30, top: 40, bottom: 40 },
      xAxis: { type: 'log', name: 'training rows', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'value', name: c.loss, scale: true, axisLabel: { formatter: fmt } },
      series,
    }, true);
  }

  // ---- predictions: confusion matrix or residuals ----
  function renderPredictions(p) {
    if (p.kind === 'confusion') {
      $('predictions-title').textContent = 'Confusion matrix on dev';
      note('predictions-note', `Run ${p.run}: rows are the true class, columns the predicted one (${p.rows} dev rows).`);
      const data = [];
      let max = 0;
      p.matrix.forEach((row, i) => row.forEach((v, j) => { data.push([j, i, v]); max = Math.max(max, v); }));
      chart('chart-predictions').setOption({
        animation: false,
        tooltip: { formatter: (q) => `true ${p.classes[q.value[1]]}, predicted ${p.classes[q.value[0]]}: ${q.value[2]}` },
        grid: { left: 90, right: 20, top: 20, bottom: p.classes.length > 4 ? 100 : 60 },
        // Every class named (ECharts drops labels that would overlap), slanted when there are many.
        xAxis: { type: 'category', data: p.classes, name: 'predicted', nameLocation: 'middle', nameGap: p.classes.length > 4 ? 70 : 30,
                 axisLabel: { interval: 0, rotate: p.classes.length > 4 ? 30 : 0 } },
        yAxis: { type: 'category', data: p.classes, name: 'true', inverse: true },
        visualMap: { min: 0, max: Math.max(1, max), calculable: false, orient: 'horizontal', left: 'center', bottom: 0, show: false,
                     inRange: { color: ['#f5f8ff', '#2a6fdb'] } },
        series: [{ id: 'confusion', type: 'heatmap', data, label: { show: true } }],
      }, true);
    } else {
      $('predictions-title').textContent = 'Residuals on dev';
      note('predictions-note', `Run ${p.run}: residual (true − predicted) against the prediction; RMSE ${fmt(p.rmse)} over ${p.rows} dev rows` +
        (p.points.length < p.rows ? ` (${p.points.length} shown)` : '') + '.');
      chart('chart-predictions').setOption({
        animation: false,
        tooltip: { trigger: 'item' },
        grid: { left: 60, right: 20, top: 20, bottom: 40 },
        xAxis: { type: 'value', name: 'predicted', scale: true, nameLocation: 'middle', nameGap: 26 },
        yAxis: { type: 'value', name: 'residual' },
        series: [{ id: 'residuals', type: 'scatter', symbolSize: 4, data: p.points, markLine: { silent: true, symbol: 'none', data: [{ yAxis: 0 }] } }],
      }, true);
    }
  }

  // ---- label, drift and slice tables ----
  function renderLabels(l) {
    note('labels-note', l.unchecked
      ? `The training labels could not be checked for errors: ${l.unchecked}.`
      : `About ${(100 * l.estimated_noise_rate).toFixed(1)}% of the training labels look wrong: ${l.suspects} suspect rows (${l.method}); the ${l.rows.length} most suspect are listed.`);
    // Classes: given, suggested, self-confidence; values: given, predicted, robust z. The
    // columns are the fields the analysis reports.
    const keys = [];
    for (const r of l.rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    keys.sort((a, b) => (a === 'row' ? -1 : b === 'row' ? 1 : 0));
    const cell = (v) => (typeof v === 'number' ? el('td', { class: 'num' }, Number.isInteger(v) ? v : v.toPrecision(4)) : el('td', {}, v ?? ''));
    table('labels', keys.map((k) => ({ label: k.replace(/_/g, ' '), num: l.rows.some((r) => typeof r[k] === 'number') })),
      l.rows.map((r) => el('tr', { 'data-row': r.row }, keys.map((k) => cell(r[k])))));
  }
  function renderShift(s) {
    note('shift-note', `An adversarial classifier tells train from dev with AUC ${s.adversarial_auc.toFixed(3)} [${s.low.toFixed(3)}, ${s.high.toFixed(3)}]` +
      ` (0.5: indistinguishable). Drifting: ${s.top_features.length ? s.top_features.join(', ') : 'none'}.`);
    table('shift', ['feature', 'test', { label: 'statistic', num: true }, { label: 'p-value', num: true }, 'drifting', { label: 'importance', num: true }],
      s.features.map((f) => el('tr', { class: f.drifting ? 'selected' : null }, el('td', {}, f.feature), el('td', {}, f.test),
        el('td', { class: 'num' }, Number(f.statistic).toPrecision(4)), el('td', { class: 'num' }, Number(f.p_value).toPrecision(3)),
        el('td', {}, f.drifting ? 'yes' : 'no'), el('td', { class: 'num' }, Number(f.importance).toFixed(4)))));
  }
  function renderSlices(s) {
    note('slices-note', s.slices.length ? `Dev ${s.loss} overall ${fmt(s.dev_overall)} [${fmt(s.dev_low)}, ${fmt(s.dev_high)}]; these slices do significantly worse.`
                                        : `No slice of dev does significantly worse than dev overall (${fmt(s.dev_overall)}).`);
    table('slices', ['column', 'value', { label: 'rows', num: true }, { label: s.loss, num: true }, { label: '95% interval', num: true }],
      s.slices.map((x) => el('tr', {}, el('td', {}, x.column), el('td', {}, x.value), el('td', { class: 'num' }, x.support),
        numCell(x.loss), el('td', { class: 'num' }, `[${fmt(x.low)}, ${fmt(x.high)}]`))));
  }

  // ---- runs ----
  function runRow(r) {
    return el('tr', { 'data-run': r.run, class: r.run === state.incumbent ? 'incumbent' : null },
      el('td', { class: 'num' }, r.run), el('td', {}, r.model), el('td', {}, r.status),
      numCell(r.errors.train), numCell(r.errors.train_dev), numCell(r.errors.dev),
      el('td', { class: 'params' }, JSON.stringify(r.params)));
  }
  const RUN_COLUMNS = [['run', 'run', true], ['model', 'model'], ['status', 'status'], ['iteration', 'iteration', true], ['train', 'train', true],
    ['train_dev', 'train-dev', true], ['dev', 'dev', true], ['seconds', 'seconds', true], [null, 'params']];
  async function renderRuns() {
    const q = state.runsQuery;
    const page = await source.runs(q);
    const head = el('tr', {}, RUN_COLUMNS.map(([key, label, num]) => el('th', {
      class: [num ? 'num' : '', key === q.sort ? 'sorted' : '', key === q.sort && q.order === 'desc' ? 'desc' : ''].join(' ').trim() || null,
      'data-sort': key,
      onclick: key ? () => {
        if (q.sort === key) q.order = q.order === 'asc' ? 'desc' : 'asc';
        else { q.sort = key; q.order = key === 'run' ? 'desc' : 'asc'; }
        q.offset = 0;
        renderRuns().catch(showError);
      } : null,
    }, label)));
    const rows = page.runs.map((r) => el('tr', { 'data-run': r.run, class: r.run === state.incumbent ? 'incumbent' : null },
      el('td', { class: 'num' }, r.run), el('td', {}, r.model), el('td', {}, r.status), el('td', { class: 'num' }, r.iteration ?? ''),
      numCell(r.errors.train), numCell(r.errors.train_dev), numCell(r.errors.dev),
      el('td', { class: 'num' }, isNum(r.seconds) ? r.seconds.toFixed(2) : ''), el('td', { class: 'params' }, JSON.stringify(r.params))));
    $('runs').replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
    $('runs').dataset.total = page.total;
    const from = page.total ? page.offset + 1 : 0, to = page.offset + page.runs.length;
    $('runs-pager').replaceChildren(
      el('button', { disabled: page.offset === 0, onclick: () => { q.offset = Math.max(0, q.offset - q.limit); renderRuns().catch(showError); } }, '‹ newer'),
      el('span', {}, `runs ${from}–${to} of ${page.total}`),
      el('button', { disabled: to >= page.total, onclick: () => { q.offset += q.limit; renderRuns().catch(showError); } }, 'older ›'));
  }

  function showError(err) { $('footer').textContent = String(err.message || err); $('footer').classList.add('error'); }

  // ---- loading and live refresh ----
  async function section(noteId, load, render) {
    try { render(await load()); } catch (err) { note(noteId, err.message, true); }
  }
  async function refreshAnalyses() {
    await Promise.all([
      section('findings', source.diagnosis, renderDiagnosis),
      section('predictions-note', source.predictions, renderPredictions),
      section('labels-note', () => source.inspect('labels'), renderLabels),
      section('shift-note', () => source.inspect('shift'), renderShift),
      section('slices-note', () => source.inspect('slices'), renderSlices),
    ]);
  }
  // The first diagnosis a dashboard serves may fit models (the learning curve, on small data the
  // cross-validation and the data analyses): seconds, or a minute on a large table. Until each
  // part answers, its section says so instead of standing empty.
  function showComputing() {
    $('findings').replaceChildren(el('li', { class: 'hint' },
      'Computing the diagnosis: the learning curve and the analyses fit models, which takes a minute on a large table.'));
    for (const id of ['curve-note', 'predictions-note', 'labels-note', 'shift-note', 'slices-note']) note(id, 'Computing…');
  }
  async function refreshStore() {
    const [status, iterations] = await Promise.all([source.status(), source.iterations()]);
    renderStatus(status);
    renderIterations(iterations);
    await renderRuns();
    if (state.selectedIteration !== null) await selectIteration(state.selectedIteration);
  }

  async function start() {
    $('mode').textContent = REPORT ? `report · ${REPORT.generated_at}` : 'live';
    $('mode').classList.toggle('live', !REPORT);
    const summary = await source.summary();
    state.version = summary.version;
    state.incumbent = summary.incumbent ?? (REPORT && REPORT.status.best ? REPORT.status.best.run : null);
    state.analysesKey = `${state.incumbent}:${summary.analyses}:${summary.loop_running}`;
    // The store's views first (fast), then the analyses (the diagnosis may be computed now).
    await refreshStore();
    if (!REPORT) showComputing();
    await refreshAnalyses();
    window.mlloop.ready = true;
    if (REPORT) {
      $('footer').textContent = `mlloop report, generated ${REPORT.generated_at}` + (REPORT.notes.length ? ' · ' + REPORT.notes.join(' · ') : '');
      return;
    }
    $('footer').textContent = 'Live: the page follows the store while a loop writes to it.';
    setInterval(poll, POLL_MS);
  }
  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const s = await source.summary();
      if (s.version !== state.version) {
        state.version = s.version;
        state.incumbent = s.incumbent;
        await refreshStore();
        window.mlloop.refreshes++;
      }
      // A loop that stops changes the analyses: while it ran they fitted nothing of their own.
      const key = `${s.incumbent}:${s.analyses}:${s.loop_running}`;
      if (key !== state.analysesKey) {
        state.analysesKey = key;
        await refreshAnalyses();
      }
      $('footer').classList.remove('error');
      $('footer').textContent = 'Live: the page follows the store while a loop writes to it.';
    } catch (err) {
      showError(new Error(`dashboard unreachable: ${err.message}`));
    } finally {
      polling = false;
    }
  }
  start().catch(showError);
})();
