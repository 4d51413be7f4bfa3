import t from 'tap';
import { createLogger } from '../../shared/log.js';
import { type Part, Parts, running } from './part.js';

const log = createLogger({ name: 'parts-test', level: 'silent', pretty: false });

function recorder(seen: string[], name: string, fail: { start?: boolean; stop?: boolean } = {}): Part {
  return {
    name,
    start: async () => {
      if (fail.start) throw new Error(`${name} cannot start`);
      seen.push(`start ${name}`);
    },
    stop: () => {
      seen.push(`stop ${name}`);
      if (fail.stop) throw new Error(`${name} cannot stop`);
    },
  };
}

t.test('parts start in list order and stop in reverse', async (t) => {
  const seen: string[] = [];
  const parts = new Parts([recorder(seen, 'store'), recorder(seen, 'broker'), recorder(seen, 'http')], log);
  await parts.start();
  await parts.stop();
  t.same(seen, ['start store', 'start broker', 'start http', 'stop http', 'stop broker', 'stop store']);
  await parts.stop();
  t.equal(seen.length, 6, 'a second stop stops nothing again');
});

t.test('a part that fails to start stops the started ones, in reverse, and the error reaches the caller', async (t) => {
  const seen: string[] = [];
  const parts = new Parts([recorder(seen, 'a'), recorder(seen, 'b'), recorder(seen, 'c', { start: true }), recorder(seen, 'd')], log);
  await t.rejects(parts.start(), /c cannot start/);
  t.same(seen, ['start a', 'start b', 'stop b', 'stop a']);
});

t.test('stopping goes on past a part that fails, then throws the first failure', async (t) => {
  const seen: string[] = [];
  const parts = new Parts([recorder(seen, 'a'), recorder(seen, 'b', { stop: true }), recorder(seen, 'c')], log);
  await parts.start();
  await t.rejects(parts.stop(), /b cannot stop/);
  t.same(seen.slice(3), ['stop c', 'stop b', 'stop a']);
});

t.test('running(): start returns its own stop', async (t) => {
  const seen: string[] = [];
  const parts = new Parts(
    [
      running('timer', () => {
        seen.push('armed');
        return () => seen.push('disarmed');
      }),
    ],
    log,
  );
  await parts.start();
  await parts.stop();
  t.same(seen, ['armed', 'disarmed']);
});
