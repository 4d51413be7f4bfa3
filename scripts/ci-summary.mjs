// Prints "N passed, N failed" from the results of the test run that just ended: every leaf
// assertion tap recorded (replayed as JUnit), plus one failure for a non-tap step (lint,
// typecheck) that stopped `npm test` before or after the tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const status = Number(process.argv[2] ?? '0');
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync('.tap/test-results')) {
  const file = '.tap/ci-junit.xml';
  rmSync(file, { force: true });
  try {
    // replay exits non-zero when the run had failures; the report file is written either way
    execFileSync('npx', ['tap', 'replay', '--reporter=junit', `--reporter-file=${file}`], { stdio: 'ignore' });
  } catch {}
  const xml = readFileSync(file, 'utf8');
  // A <testcase> without a time attribute is one assertion (subtests carry their time); it failed
  // when it holds a <failure>, was skipped when it holds <skipped>. A test file that did not run
  // at all shows up as a failed ENOENT case.
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    if (/\stime="/.test(m[1] ?? '')) continue;
    const body = m[3] ?? '';
    if (body.includes('<failure')) failed++;
    else if (body.includes('<skipped')) skipped++;
    else passed++;
  }
}
if (status !== 0 && failed === 0) failed = 1; // lint, typecheck or the runner itself failed
if (skipped > 0) console.log(`(${skipped} skipped)`);
console.log(`${passed} passed, ${failed} failed`);
