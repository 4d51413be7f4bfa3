// Prints "N passed, N failed" from the results of the test run that just ended: every leaf
// assertion tap recorded (replayed as JUnit), plus one failure for a non-tap step (lint,
// typecheck) that stopped `npm test` before or after the tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const status = Number(process.argv[2] ?? '0');
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
if (existsSync('.tap/test-results')) {
  const file = '.tap/ci-junit.xml';
  rmSync(file, { force: true });
  try {
    // replay exits non-zero when the run had failures; the report file is written either way
    execFileSync('npx', ['tap', 'replay', '--reporter=junit', `--reporter-file=${file}`], { stdio: 'ignore' });
  } catch {}
  const xml = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (xml === '') failures.push(`not ok: tap replay wrote no report (${file}); the count below is not from the results`);
  // A <testcase> without a time attribute is one assertion (subtests carry their time); it failed
  // when it holds a <failure>, was skipped when it holds <skipped>. A test file that did not run
  // at all shows up as a failed ENOENT case.
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    if (/\stime="/.test(m[1] ?? '')) continue;
    const body = m[3] ?? '';
    if (body.includes('<failure')) {
      failed++;
      failures.push(describeFailure(m[1] ?? '', body));
    } else if (body.includes('<skipped')) skipped++;
    else passed++;
  }
}
if (status !== 0 && failed === 0) failed = 1; // lint, typecheck or the runner itself failed
// The failures are listed last, just above the summary, so that a log cut to its tail still
// names which assertion failed and why.
// A file that did not run at all (ENOENT) is listed after the assertions that failed.
failures.sort((a, b) => Number(a.includes('tapFileError')) - Number(b.includes('tapFileError')));
const shown = failures.slice(0, 10);
for (const f of shown) console.log(f);
if (failures.length > shown.length) console.log(`(and ${failures.length - shown.length} more failures)`);
if (skipped > 0) console.log(`(${skipped} skipped)`);
console.log(`${passed} passed, ${failed} failed`);

/** One failed assertion: where it is, its name, and the first lines of tap's diagnostic. */
function describeFailure(attrs, body) {
  const attr = (name) => unescapeXml(attrs.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1] ?? '');
  const where = attr('file') ? ` (${attr('file')}:${attr('line')})` : '';
  // tap's diagnostic is YAML; its stack, source excerpt and call site only repeat the place
  let skip = false;
  const detail = (body.match(/<!\[CDATA\[([\s\S]*?)\]\]>/)?.[1] ?? '')
    .split('\n')
    .filter((line) => {
      const key = line.match(/^(\w+):/)?.[1];
      if (key !== undefined) skip = key === 'stack' || key === 'source' || key === 'at';
      return !skip && line.trim() !== '';
    })
    .slice(0, 14)
    .map((line) => `    ${line}`)
    .join('\n');
  return `not ok: ${attr('classname')} > ${attr('name')}${where}\n${detail}`;
}

function unescapeXml(text) {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
}
