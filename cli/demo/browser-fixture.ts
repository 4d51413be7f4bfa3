import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createLogger } from '../../shared/log.js';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import { type Demo, startDemo } from './demo.js';

const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * What a dashboard browser test starts with: the bundle of these sources, the demo (cloud,
 * gateway, simulated kits) in a temp dir, Debian's Chromium, and `out` for screenshots; all
 * stopped and removed at teardown.
 */
export async function demoInBrowser(
  t: { teardown(fn: () => Promise<void> | void): void },
  name: string,
): Promise<{ demo: Demo; browser: Browser; dataDir: string; out: string }> {
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' });
  const out = join(process.cwd(), 'test-output', name);
  mkdirSync(out, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'sv-demo-'));
  const demo = await startDemo({
    dataDir,
    cloudPort: 0,
    gatewayPort: 0,
    mqttPort: 0,
    host: '127.0.0.1',
    log: createLogger({ name: `${name}-test`, level: 'error', pretty: false }),
  });
  t.teardown(async () => {
    await demo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const browser = await chromium.launch({ executablePath: findBinary(BINARIES.chromium), args: ARGS });
  t.teardown(() => browser.close());
  return { demo, browser, dataDir, out };
}

export const WAIT = { timeout: 90_000 };

/** Waits until an element shows text matching `re` (the page's own text, polled by Playwright). */
export const shows = (page: Page, selector: string, re: RegExp) => page.locator(selector, { hasText: re }).first().waitFor(WAIT);

/** Polls a condition on what the page shows (no timing asserted: only the test's overall timeout bounds it). */
export async function until(page: Page, what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 360; i++) {
    if (await ok()) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`the page never showed: ${what}`);
}
