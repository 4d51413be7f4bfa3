import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultProxy } from './fault-proxy.js';
import type { ManagedProcess } from './process.js';

/**
 * A private server for one test file: its own temp dir and port, reached through a fault proxy
 * so that tests can stop, restart, kill -9, freeze, slow or black-hole it.
 * `url` goes through the proxy; `directUrl` bypasses it.
 */
export class TestService {
  readonly proxy: FaultProxy;
  url = '';
  directUrl = '';

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly serverPort: number,
    readonly process: ManagedProcess | undefined,
    private readonly makeUrl: (port: number) => string,
  ) {
    this.proxy = new FaultProxy('127.0.0.1', serverPort);
  }

  /** An existing server named by REDIS_URL / MYSQL_URL / INFLUX_URL: no fault injection possible. */
  get external(): boolean {
    return this.process === undefined;
  }

  get port(): number {
    return this.proxy.port;
  }

  async open(): Promise<this> {
    await this.process?.start();
    await this.proxy.listen();
    this.url = this.makeUrl(this.proxy.port);
    this.directUrl = this.makeUrl(this.serverPort);
    return this;
  }

  /** Graceful stop of the server (the proxy stays, so clients see connection refused/reset). */
  async stop(): Promise<void> {
    this.requirePrivate('stop');
    this.proxy.resetConnections();
    await this.process?.stop();
  }

  async start(): Promise<void> {
    this.requirePrivate('start');
    await this.process?.start();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** kill -9 of the server process. */
  async kill(): Promise<void> {
    this.requirePrivate('kill');
    await this.process?.kill();
    this.proxy.resetConnections();
  }

  pause(): void {
    this.requirePrivate('pause');
    this.process?.pause();
  }

  resume(): void {
    this.process?.resume();
  }

  /** Adds latency to every chunk in both directions. */
  slow(ms: number): void {
    this.proxy.set({ kind: 'delay', ms });
  }

  /** Packets vanish: connections open, nothing comes back. */
  blackhole(): void {
    this.proxy.set({ kind: 'blackhole' });
  }

  heal(): void {
    this.proxy.set({ kind: 'pass' });
  }

  async close(): Promise<void> {
    await this.proxy.close();
    this.process?.resume();
    await this.process?.stop(5_000);
    if (!this.external) rmSync(this.dir, { recursive: true, force: true });
  }

  private requirePrivate(what: string): void {
    if (this.external)
      throw new Error(`${this.name}.${what}() needs a private instance; unset the URL variable that points at an external server`);
  }
}

export function makeTempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `sousvide-${name}-`));
}

/** tap's `t` as far as the harness needs it: teardown registration. */
export interface Teardown {
  teardown(fn: () => Promise<void> | void): void;
}
