import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../shared/log.js';

/** A real logger whose JSON lines are kept in `lines` (tests read what a server logged, e.g. that no secret is). */
export function capturedLogger(name: string, level: 'debug' | 'info' = 'info'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ name, level, pretty: false, destination }), lines };
}
