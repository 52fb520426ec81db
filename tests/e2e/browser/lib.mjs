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
