#!/usr/bin/env node
/**
 * Process entry of the `sousvide` CLI: owns signals and the exit code (docs/design.md: the entry owns
 * signals, listen and exit; everything else is built without side effects on import).
 */
import { STOP_TIMEOUT_MS } from './commands/serve.js';
import { runCli } from './run.js';

const controller = new AbortController();
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      process.stderr.write(`\nsecond ${signal}: exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    controller.abort(signal);
    // A stop always ends the process, even one stuck in start-up or in a stop that hangs.
    setTimeout(() => {
      process.stderr.write(`sousvide: did not stop within ${STOP_TIMEOUT_MS / 1000} s of ${signal}: exiting now\n`);
      process.exit(1);
    }, STOP_TIMEOUT_MS + 2000).unref();
  });
}

try {
  process.exitCode = await runCli(
    process.argv.slice(2),
    { stdout: process.stdout, stderr: process.stderr, env: process.env },
    controller.signal,
  );
} catch (err) {
  process.stderr.write(`sousvide: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
}
// The command is over: nothing that is left (a timer, a socket a failed start left behind) may
// keep the process alive. A moment for stdout and stderr to drain first.
setTimeout(() => process.exit(), 200).unref();
