// Load on the dashboard API: N requests over a mix of routes, C at a time, on keep-alive
// connections. Prints one JSON object: per route the count, errors, p50 and p99 in ms.
//   node load.mjs BASE_URL N C [MAP]
// With MAP (a file of "route<TAB>path" lines), every request of a route goes to that path:
// the peer serves each route's body as a static file.
import fs from 'node:fs';
const [base, nArg, cArg, mapFile] = process.argv.slice(2);
const staticPath = mapFile ? new Map(fs.readFileSync(mapFile, 'utf8').trim().split('\n').map((l) => l.split('\t'))) : null;
const n = Number(nArg || 10000), c = Number(cArg || 8);
// The mix a dashboard makes: mostly the poll and the runs pages (sorted on several keys),
// then the views a click or an analysis change asks for.
const routes = [
  ['summary', () => '/api/summary', 30],
  ['status', () => '/api/status', 10],
  ['runs (page 1, by run)', () => '/api/runs?limit=50&sort=run&order=desc', 15],
  ['runs (deep page, by dev)', () => `/api/runs?limit=50&sort=dev&offset=${50 * Math.floor(Math.random() * 200)}`, 15],
  ['runs/{id}', () => `/api/runs/${1 + Math.floor(Math.random() * 10000)}`, 10],
  ['iterations', () => '/api/iterations', 5],
  ['iterations/{i}', () => `/api/iterations/${1 + Math.floor(Math.random() * 500)}`, 5],
  ['diagnosis', () => '/api/diagnosis', 5],
  ['predictions', () => '/api/predictions', 3],
  ['inspect/labels', () => '/api/inspect/labels', 2],
];
const total = routes.reduce((s, r) => s + r[2], 0);
function pick() {
  let x = Math.random() * total;
  for (const r of routes) { if ((x -= r[2]) < 0) return r; }
  return routes[0];
}
const lat = new Map(routes.map((r) => [r[0], []]));
const errs = new Map(routes.map((r) => [r[0], 0]));
let issued = 0;
async function worker() {
  while (issued < n) {
    issued++;
    const [name, path] = pick();
    const t0 = performance.now();
    try {
      const target = staticPath ? staticPath.get(name) : path();
      const res = await fetch(base + target.replace(/^\//, ''));
      await res.arrayBuffer();
      if (res.status !== 200) errs.set(name, errs.get(name) + 1);
    } catch (e) {
      errs.set(name, errs.get(name) + 1);
    }
    lat.get(name).push(performance.now() - t0);
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: c }, worker));
const seconds = (performance.now() - t0) / 1000;
const q = (a, p) => { const s = a.slice().sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null; };
const out = { requests: n, concurrency: c, seconds, routes: {} };
for (const [name] of routes) out.routes[name] = { count: lat.get(name).length, errors: errs.get(name), p50_ms: q(lat.get(name), 0.5), p99_ms: q(lat.get(name), 0.99) };
console.log(JSON.stringify(out));
