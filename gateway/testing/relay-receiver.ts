import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SvError } from '../../shared/errors.js';
import { errorBody } from '../../shared/http/errors.js';

/** A relay batch as the receiver decoded it. */
export interface ReceivedBatch {
  batchId: string;
  records: { kind: string; id?: string; deviceId?: string | null; seq?: number; [k: string]: unknown }[];
  bytes: number;
}

/** What the receiver answers one batch: 200 (a valid RelayReply), an SvError the way the cloud writes it, or a raw answer. */
export type Answer = 'ok' | SvError | { status: number; body: string };

/**
 * A real HTTP receiver standing in for the cloud's `POST /v1/ingest` in relay tests: gunzips and
 * parses each batch, asks `answer` what to say, and keeps every batch it answered 200 (`delivered`)
 * and every request (`requests`). An `SvError` is answered with its catalogue status and the
 * cloud's own error body (shared/http/errors.ts `errorBody`, what its error handler writes).
 */
export async function relayReceiver(answer: (b: ReceivedBatch) => Answer) {
  const delivered: ReceivedBatch[] = [];
  let requests = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const parsed = JSON.parse(text) as Omit<ReceivedBatch, 'bytes'>;
      const batch: ReceivedBatch = { batchId: parsed.batchId, records: parsed.records, bytes: Buffer.byteLength(text) };
      const a = answer(batch);
      if (a === 'ok') {
        delivered.push(batch);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, batchId: batch.batchId, accepted: batch.records.length, duplicates: 0, desired: null }));
      } else if (a instanceof SvError) {
        res.writeHead(a.httpStatus, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorBody(a.code, a.message, a.details)));
      } else {
        res.writeHead(a.status, { 'content-type': 'text/html' });
        res.end(a.body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delivered,
    get requests() {
      return requests;
    },
    /** Every record delivered (answered 200), in arrival order. */
    records: () => delivered.flatMap((b) => b.records),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
