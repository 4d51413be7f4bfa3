import { request } from 'node:http';

/**
 * N open GET /v1/stream clients for `bench ingest --streams N`: each reads and counts its bytes
 * (no parsing, so the bench process stays light); a stream the gateway drops as too slow is
 * counted, not reopened.
 */
export interface StreamClients {
  opened(): number;
  bytes(): number;
  /** Streams that ended before `close()` (dropped by the gateway). */
  dropped(): number;
  close(): void;
}

export async function openStreamClients(httpPort: number, token: string, n: number): Promise<StreamClients> {
  let bytes = 0;
  let dropped = 0;
  let opened = 0;
  let closing = false;
  const reqs: ReturnType<typeof request>[] = [];
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: httpPort,
          path: '/v1/stream',
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
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: Math.min(50, n - i) }, one));
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
