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

t.test('an id alone (no data) dispatches nothing but moves the resume id, at the end of the message only', async (t) => {
  const p = new SseParser('a-1');
  t.same(p.feed('id: a-2\nevent: reading\ndata: {}\n\nid: a-9\n'), [{ lastEventId: 'a-2', hasId: true, event: 'reading', data: '{}' }]);
  t.equal(p.lastEventId, 'a-2', 'a message not yet ended does not move it');
  t.same(p.feed('\n'), [], 'an id-only message is not dispatched');
  t.equal(p.lastEventId, 'a-9', 'but the resume id moved');
});
