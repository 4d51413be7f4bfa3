import type { Command } from '../command.js';
import { notYet } from './serve.js';

/** `sousvide bench <name>`: each benchmark prints its figures and writes its section of docs/benchmarks.md. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmarks: ingest, control, cloud, drain (print figures, write docs/benchmarks.md).',
  usage: 'sousvide bench <ingest|control|cloud|drain> [options]',
  subcommands: [
    {
      name: 'ingest',
      summary: 'Gateway ingest vs Mosquitto at 1k/3k/5k/10k kits over TLS.',
      usage: 'sousvide bench ingest',
      run: notYet('bench ingest', 3),
    },
    {
      name: 'control',
      summary: 'Control quality of the engine vs plain hysteresis on the thermal simulator.',
      usage: 'sousvide bench control',
      run: notYet('bench control', 4),
    },
    {
      name: 'cloud',
      summary: 'Cloud ingest throughput and latency with all sinks and each sink alone.',
      usage: 'sousvide bench cloud',
      run: notYet('bench cloud', 5),
    },
    {
      name: 'drain',
      summary: 'Time to drain a 1M-record backlog while 1k kits keep publishing.',
      usage: 'sousvide bench drain',
      run: notYet('bench drain', 6),
    },
  ],
};
