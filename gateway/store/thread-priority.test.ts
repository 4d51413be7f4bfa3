import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { StoreWriter } from './writer.js';

/** The nice value of each of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

t.test("store.writerNice changes the writer thread's priority and no other thread's", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sv-nice-'));
  const w = new StoreWriter(dir);
  await w.open();
  t.teardown(() => w.close());
  const before = threadNices();
  t.equal(await w.setNice(7), null, 'lowering a priority needs no privilege');
  const after = threadNices();
  const changed = [...after].filter(([tid, nice]) => before.get(tid) !== nice);
  t.equal(changed.length, 1, 'one thread changed');
  t.equal(changed[0]?.[1], 7, 'to nice 7');
  t.not(changed[0]?.[0], process.pid, 'not the main thread');

  const refused = await w.setNice(-5);
  if (process.getuid?.() === 0) {
    t.equal(refused, null, 'root may raise it');
    t.equal(threadNices().get(changed[0]?.[0] as number), -5, 'the same thread is now at -5');
  } else {
    t.match(refused, /EACCES|EPERM|permission/i, 'without the privilege the reason is given');
  }
  t.equal(threadNices().get(process.pid), before.get(process.pid), 'the main thread is as it was');
});
