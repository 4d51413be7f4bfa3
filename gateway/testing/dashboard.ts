import { execFileSync } from 'node:child_process';
import { type Browser, chromium, type Page } from 'playwright-core';
import { BINARIES, findBinary } from '../../test/harness/packages.js';
import type { GatewayOptions } from '../app.js';
import { issueOperatorToken, tokenFilePath } from '../http/operator-token.js';
import { type GatewayFixture, startGateway, telemetry } from './fixture.js';

/**
 * What a dashboard browser test on a real gateway starts with: the bundle of these sources, a
 * gateway (its overrides), an operator token, the local API, Debian's Chromium, and kits that
 * report over MQTT/TLS at a temperature the test sets. Everything is stopped at teardown.
 */
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'];
export const WAIT = { timeout: 60_000 };

type Tap = { teardown(fn: () => Promise<void> | void): void };

export interface Reporter {
  /** The temperature (and heater flag) of the next readings, sent every 500 ms. */
  set(tempC: number, heater?: boolean): void;
  /** Stops reporting and disconnects (the kit goes offline). */
  stop(): Promise<void>;
}

export async function gatewayDashboard(t: Tap, overrides: Record<string, unknown> = {}, options: GatewayOptions = {}) {
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'pipe' });
  const gw: GatewayFixture = await startGateway(t, overrides, options);
  const token = issueOperatorToken(tokenFilePath(gw.dataDir));
  const base = `http://127.0.0.1:${gw.httpPort}`;
  // biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : JSON.parse(text) };
  };
  let browser: Browser | undefined;
  /** A logged-in page (operator token) on `url` (default: the gateway itself) and the errors it throws. */
  const open = async (url = base): Promise<{ page: Page; pageErrors: string[] }> => {
    if (!browser) {
      const b = await chromium.launch({ executablePath: findBinary(BINARIES.chromium), args: ARGS });
      t.teardown(() => b.close());
      browser = b;
    }
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${url}/dashboard/`);
    await page.getByLabel('Operator token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Kits' }).waitFor(WAIT);
    return { page, pageErrors };
  };
  /** A provisioned kit reporting `tempC` every 500 ms until stopped. */
  const kit = async (id: string, tempC: number): Promise<Reporter> => {
    const secret = await gw.addKit(id);
    const client = await gw.connect({ clientId: id, username: id, password: secret });
    let seq = 0;
    let now = { tempC, heater: false };
    const send = () =>
      client
        .publishAsync(`sv/${id}/telemetry`, telemetry({ seq: seq++, tempC: now.tempC, heater: now.heater }), { qos: 1 })
        .catch(() => {});
    await send();
    const timer = setInterval(() => void send(), 500);
    const stop = async () => {
      clearInterval(timer);
      await client.endAsync(true).catch(() => {});
    };
    t.teardown(stop);
    return {
      set(c, heater = false) {
        now = { tempC: c, heater };
      },
      stop,
    };
  };
  return { gw, token, base, api, open, kit };
}

/** Polls a condition (no timing asserted: only the test's overall timeout bounds it). */
export async function until(what: string, ok: () => Promise<boolean>, tries = 240): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`never: ${what}`);
}

/** The dashboard's duration words (dashboard/src/format.ts) under an hour: "42 s", "17 min". */
export function minutesText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min`;
}
