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
  /** Stops reporting but stays connected (the kit falls silent); `set` resumes. */
  pause(): void;
  /** Stops reporting and drops the connection (its will: the kit goes offline). */
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
  const kit = async (id: string, tempC: number, heater = false): Promise<Reporter> => {
    const secret = await gw.addKit(id);
    // As the firmware does: its will says offline when the connection drops; it answers every command.
    const status = (state: string) => JSON.stringify({ v: 1, state, boot: 1, fw: '1.0.0', profile: 'toggle' });
    const client = await gw.connect({
      clientId: id,
      username: id,
      password: secret,
      will: { topic: `sv/${id}/status`, payload: Buffer.from(status('offline')), qos: 1, retain: true },
    });
    client.on('message', (_topic, payload) => {
      const cmd = JSON.parse(payload.toString()) as { id: string; op: string; expect?: string };
      const on = cmd.op === 'press' ? cmd.expect === 'on' : false;
      client.publish(`sv/${id}/ack`, JSON.stringify({ v: 1, id: cmd.id, ok: true, heater: on }), { qos: 1 });
    });
    await client.subscribeAsync(`sv/${id}/cmd`, { qos: 1 });
    await client.publishAsync(`sv/${id}/status`, status('online'), { qos: 1, retain: true });
    let seq = 0;
    let now = { tempC, heater };
    let paused = false;
    const send = () =>
      paused ||
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
        paused = false;
      },
      pause() {
        paused = true;
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

/**
 * An HTTP proxy in front of a server, as a reverse proxy or a flaky link would be: `freezeStreams`
 * holds every open /v1/stream response's bytes from then on (a half-open connection: nothing
 * arrives, not even heartbeats; streams opened later pass); `fail` answers matching requests with
 * a proxy's own non-JSON error page after forwarding them (so a change may have been made).
 */
export async function faultProxy(t: Tap, target: string) {
  const { createServer, request } = await import('node:http');
  const up = new URL(target);
  const open = new Set<{ frozen: boolean }>();
  let failing: { method: string; path: RegExp; status: number } | null = null;
  const server = createServer((req, res) => {
    const conn = { frozen: false };
    const fault = failing && req.method === failing.method && failing.path.test(req.url ?? '') ? failing.status : null;
    const out = request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      if (fault !== null) {
        r.resume();
        res.writeHead(fault, { 'content-type': 'text/html' });
        res.end(`<html><head><title>${fault} Bad Gateway</title></head><body><h1>${fault} Bad Gateway</h1><hr>nginx</body></html>`);
        return;
      }
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (req.url?.startsWith('/v1/stream')) open.add(conn);
      r.on('data', (d: Buffer) => {
        if (!conn.frozen) res.write(d);
      });
      r.on('end', () => res.end());
      r.on('error', () => res.destroy());
    });
    out.on('error', () => res.destroy());
    res.on('close', () => {
      open.delete(conn);
      out.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const port = (server.address() as { port: number }).port;
  return {
    base: `http://127.0.0.1:${port}`,
    /** Holds the bytes of every stream open now (they stay connected, silent). */
    freezeStreams() {
      for (const c of open) c.frozen = true;
      return open.size;
    },
    fail(method: string, path: RegExp, status = 502) {
      failing = { method, path, status };
    },
    heal() {
      failing = null;
    },
  };
}
