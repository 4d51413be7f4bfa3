import { spawn } from 'node:child_process';
import type { Logger } from '../shared/log.js';

/**
 * systemd integration without a native module: when started by systemd with Type=notify and
 * WatchdogSec (NotifyAccess=all), tell it READY=1 once serving and WATCHDOG=1 at half the watchdog
 * interval. The ping runs on the event loop, so a stalled loop stops the pings and systemd
 * restarts the gateway (docs/deploy-gateway.md).
 */
export function startSystemdNotify(log: Logger, env: NodeJS.ProcessEnv = process.env): () => void {
  if (!env.NOTIFY_SOCKET) return () => {};
  const notify = (state: string) => {
    const child = spawn('systemd-notify', [`--pid=${process.pid}`, state], { stdio: 'ignore' });
    child.on('error', (err) => log.warn({ err: err.message }, 'systemd-notify failed'));
  };
  notify('READY=1');
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return () => notify('STOPPING=1');
  const timer = setInterval(() => notify('WATCHDOG=1'), Math.max(1000, usec / 2000));
  timer.unref();
  return () => {
    clearInterval(timer);
    notify('STOPPING=1');
  };
}
