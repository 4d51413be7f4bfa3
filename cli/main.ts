#!/usr/bin/env node
/**
 * Process entry of the `sousvide` CLI: owns signals and the exit code (docs/design.md: the entry owns
 * signals, listen and exit; everything else is built without side effects on import).
 */
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
