import { request } from 'node:http';

/**
 * N open GET /v1/stream clients for `bench ingest --streams N`: each reads and counts its bytes
 * (no parsing, so the bench process stays light); a stream the gateway drops as too slow is
 * counted, not reopened. With `perStream` K > 0 each follows K kits (`?devices=`), stream i the
 * kits i·K … i·K+K-1 modulo the kit list (round-robin, so every kit is followed about equally);
 * with 0 each is a fleet stream.
 */
export interface StreamClients {
  opened(): number;
  bytes(): number;
  /** Streams that ended before `close()` (dropped by the gateway). */
  dropped(): number;
  close(): void;
}

export async function openStreamClients(
  httpPort: number,
  token: string,
  n: number,
  follow: { kits: readonly string[]; perStream: number } = { kits: [], perStream: 0 },
): Promise<StreamClients> {
  let bytes = 0;
  let dropped = 0;
  let opened = 0;
  let closing = false;
  const reqs: ReturnType<typeof request>[] = [];
  const pathOf = (i: number) => {
    const k = Math.min(follow.perStream, follow.kits.length);
    if (k === 0) return '/v1/stream';
    const ids = Array.from({ length: k }, (_, j) => follow.kits[(i * k + j) % follow.kits.length]);
    return `/v1/stream?devices=${ids.join(',')}`;
  };
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: httpPort,
          path: pathOf(i),
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        },
        (res) => {
          if (res.statusCode === 200) opened++;
          res.on('data', (b: Buffer) => {
            bytes += b.length;
          });
          res.on('close', () => {
            if (!closing) dropped++;
          });
          resolve();
        },
      );
      req.on('error', () => resolve());
      req.end();
      reqs.push(req);
    });
  // Opened 50 at a time, as many dashboards would over a moment.
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => one(i + j)));
  return {
    opened: () => opened,
    bytes: () => bytes,
    dropped: () => dropped,
    close() {
      closing = true;
      for (const r of reqs) r.destroy();
    },
  };
}
