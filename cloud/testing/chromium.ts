import { chromium, type Page } from 'playwright-core';
import { BINARIES, findBinary } from '../../test/harness/packages.js';

interface Tap {
  teardown(fn: () => unknown): void;
}

/** Debian's Chromium, headless, on `url`: the page and the errors it throws (closed at teardown). */
export async function openPage(t: Tap, url: string): Promise<{ page: Page; pageErrors: string[] }> {
  const args = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
  const browser = await chromium.launch({ executablePath: findBinary(BINARIES.chromium), args });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  return { page, pageErrors };
}
