// `npm run test:firmware`: builds the firmware core's host tests with g++ and runs them.
// The cross-language contract test (firmware/test/contract.test.ts) runs the same binary
// inside `npm test`; this script is the quick loop for firmware work.
import { spawnSync } from 'node:child_process';
import { buildHostTests, checkGlue, parseSummary, runEnv } from '../firmware/test/host-build.mjs';

let build;
try {
  build = buildHostTests();
} catch (err) {
  console.error(`firmware host tests: build failed: ${err.message}`);
  process.exit(1);
}
console.log(`# ${build.rebuilt ? 'built' : 'up to date'}: ${build.binary}`);
console.log(`# flags: ${build.flags.join(' ')}${build.sanitized ? '' : ' (sanitizers unavailable here)'}`);

const unit = spawnSync(build.binary, [], { encoding: 'utf8', env: runEnv });
process.stdout.write(unit.stdout ?? '');
process.stderr.write(unit.stderr ?? '');
const summary = parseSummary(unit.stdout ?? '');

// The encoder sweep must pass the core's own validator (zod checks it in contract.test.ts).
const encode = spawnSync(build.binary, ['--encode'], { encoding: 'utf8', env: runEnv, maxBuffer: 64 * 1024 * 1024 });
const encoded = (encode.stdout ?? '').trim().split('\n').filter(Boolean).length;
console.log(`# encoder sweep: ${encoded} messages, ${encode.status === 0 ? 'all valid' : 'SOME INVALID'}`);
process.stderr.write(encode.stderr ?? '');

// The Arduino glue cannot be built here (no ESP32 toolchain); type-check it against stubs.
const glue = checkGlue();
for (const g of glue) if (!g.ok) process.stderr.write(g.output);
console.log(`# arduino glue type-check: ${glue.filter((g) => g.ok).length}/${glue.length} files`);

const ok =
  glue.every((g) => g.ok) && unit.status === 0 && summary !== null && summary.failed === 0 && summary.tests > 0 && encode.status === 0;
if (!ok) {
  console.error('firmware host tests FAILED');
  process.exit(1);
}
console.log(`firmware host tests passed: ${summary.tests} tests, ${summary.checks} checks`);
