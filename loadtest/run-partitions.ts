import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram } from './histogram.js';
import { buildKitgen } from './native/build.js';
import { runNativePartition } from './native/native-partition.js';
import type { PartitionCounters, PartitionMessage, PartitionSpec } from './partition.js';

export interface LoadResult {
  counters: PartitionCounters;
  puback: Histogram;
  connect: Histogram;
  /** Telemetry → command, as the kits with a cook saw it. */
  command: Histogram;
  errors: Record<string, number>;
  /** Generator CPU (all partitions), ms. */
  cpuMs: number;
  /** Generator CPU while publishing (connection set-up excluded), ms. */
  steadyCpuMs: number;
  partitions: number;
}

/**
 * Runs the kits as `partitions` child processes (so one Node process is not the client
 * bottleneck), each with its open-files limit raised to the hard limit, and merges their results.
 * `client: 'native'` runs each partition as the native generator (loadtest/native/kitgen.c,
 * compiled on first use; a failed build throws, it never falls back to another model); the
 * default stays the lean Node client.
 */
export async function runPartitions(
  base: Omit<PartitionSpec, 'index' | 'kits'>,
  kits: PartitionSpec['kits'],
  partitions: number,
  workDir: string,
  onProgress?: (total: PartitionCounters) => void,
  extra: { partLog?: (index: number, line: string) => void; timeoutS?: number } = {},
): Promise<LoadResult> {
  const latest = new Map<number, PartitionCounters>();
  const finals: Extract<PartitionMessage, { type: 'final' }>[] = [];
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./partition-main${ext}`, import.meta.url).pathname;
  const kitgen = base.client === 'native' ? buildKitgen() : undefined;
  const children = Array.from({ length: partitions }, (_, index) => {
    const spec: PartitionSpec = { ...base, index, kits: kits.filter((_k, i) => i % partitions === index) };
    const onMessage = (m: PartitionMessage) => {
      extra.partLog?.(
        m.index,
        JSON.stringify({
          t: new Date().toISOString(),
          type: m.type,
          ...m.counters,
          ...(m.type === 'final' ? { errors: m.errors, cpuMs: m.cpuMs } : {}),
        }),
      );
      latest.set(m.index, m.counters);
      if (m.type === 'final') finals.push(m);
      if (onProgress) onProgress(sum([...latest.values()]));
    };
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      if (code !== 0) extra.partLog?.(index, JSON.stringify({ t: new Date().toISOString(), type: 'exit', code, signal }));
    };
    if (kitgen) {
      let timer: NodeJS.Timeout | undefined;
      return runNativePartition(kitgen, spec, join(workDir, `partition-${index}.spec`), onMessage, (child) => {
        if (extra.timeoutS) timer = setTimeout(() => child.kill('SIGKILL'), extra.timeoutS * 1000);
      }).then(({ code, signal }) => {
        clearTimeout(timer);
        exited(code, signal);
      });
    }
    const specFile = join(workDir, `partition-${index}.json`);
    writeFileSync(specFile, JSON.stringify(spec));
    const child = fork(entry, [specFile], {
      execArgv: ext === '.ts' ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = extra.timeoutS ? setTimeout(() => child.kill('SIGKILL'), extra.timeoutS * 1000) : undefined;
    child.on('message', onMessage);
    return new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        exited(code, signal);
        resolve();
      }),
    );
  });
  await Promise.all(children);
  const puback = new Histogram();
  const connect = new Histogram();
  const command = new Histogram();
  const errors: Record<string, number> = {};
  let cpuMs = 0;
  let steadyCpuMs = 0;
  for (const f of finals) {
    puback.merge(f.puback);
    connect.merge(f.connect);
    command.merge(f.command);
    cpuMs += f.cpuMs;
    steadyCpuMs += f.steadyCpuMs;
    for (const [k, v] of Object.entries(f.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  if (finals.length < partitions) errors['client:partition_crashed'] = partitions - finals.length;
  return { counters: sum(finals.map((f) => f.counters)), puback, connect, command, errors, cpuMs, steadyCpuMs, partitions };
}

function sum(list: PartitionCounters[]): PartitionCounters {
  const t: PartitionCounters = { connected: 0, connectFailed: 0, published: 0, acked: 0, failed: 0, commands: 0, held: 0 };
  for (const c of list) for (const k of Object.keys(t) as (keyof PartitionCounters)[]) t[k] += c[k];
  return t;
}
