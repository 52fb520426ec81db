// Time from navigation to the first chart drawn (ECharts' "finished" event), in Debian's
// Chromium, R times with a fresh page each time. Prints {"ms": [...], "median_ms": x}.
//   node first_chart.mjs URL [R]
import { launch } from '../../tests/e2e/browser/lib.mjs';
const [url, rArg] = process.argv.slice(2);
const r = Number(rArg || 5);
const { context, close } = await launch();
const ms = [];
for (let i = 0; i < r; i++) {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.mlloop && window.mlloop.timings.firstChart !== null, null, { timeout: 30000 });
  ms.push(await page.evaluate(() => window.mlloop.timings.firstChart));
  await page.close();
}
await close();
const s = ms.slice().sort((a, b) => a - b);
console.log(JSON.stringify({ ms, median_ms: s[Math.floor(s.length / 2)] }));
