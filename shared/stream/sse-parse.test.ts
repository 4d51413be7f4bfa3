import t from 'tap';
import { SseParser } from './sse-parse.js';

t.test('messages split across chunks, comments, multi-line data and persistent ids', async (t) => {
  const p = new SseParser();
  t.same(p.feed(': heartbeat\n\nid: a-1\nevent: rea'), []);
  const got = p.feed('ding\ndata: {"x":1}\n\ndata: one\r\ndata: two\r\n\r');
  t.same(
    got.map((m) => [m.lastEventId, m.hasId, m.event, m.data]),
    [['a-1', true, 'reading', '{"x":1}']],
  );
  t.same(
    p.feed('\n').map((m) => [m.lastEventId, m.hasId, m.event, m.data]),
    [['a-1', false, 'message', 'one\ntwo']],
  );
  t.equal(p.comments, 1);
});
