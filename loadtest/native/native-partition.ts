import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PartitionMessage, PartitionSpec } from '../partition.js';

/**
 * A partition run by the native generator (kitgen.c): the spec goes to a small text file (one
 * `key value` per line, then one `kit <id> <secret|-> <0|1>` line per kit, 1 = a command kit),
 * and the JSON lines kitgen prints are PartitionMessages, handled like a Node partition's IPC.
 */
export function nativeSpecText(spec: PartitionSpec): string {
  const watched = new Set(spec.commandKits ?? []);
  const word = (what: string, s: string) => {
    if (!/^[\x21-\x7e]+$/.test(s) || s === '-') throw new Error(`native partition: ${what} ${JSON.stringify(s)} cannot go in a spec`);
    return s;
  };
  const lines = [
    '# kitgen spec (loadtest/native/kitgen.c)',
    `index ${spec.index}`,
    `host ${word('host', spec.host)}`,
    `port ${spec.port}`,
    `ca ${spec.caFile ? word('CA file', spec.caFile) : '-'}`,
    `rate ${spec.ratePerKit}`,
    `duration ${spec.durationS}`,
    `parallelism ${spec.connectParallelism}`,
    `qos ${spec.qos}`,
    `boot ${spec.boot}`,
    `maxinflight ${spec.maxInFlight ?? 0}`,
    ...(spec.hotAfterMs === undefined ? [] : [`hotafter ${spec.hotAfterMs}`]),
    ...(spec.nativeTickMs === undefined ? [] : [`tick ${spec.nativeTickMs}`]),
    `kits ${spec.kits.length}`,
    ...spec.kits.map((k) => `kit ${word('kit id', k.id)} ${k.secret ? word('secret of', k.secret) : '-'} ${watched.has(k.id) ? 1 : 0}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Starts kitgen on `specFile` (written from `spec`); `onMessage` gets each progress and final
 * line. Resolves with the exit code once stdout is drained; exit code 2 (a spec kitgen refused)
 * rejects with kitgen's message, since that is a bug on this side, not a load-test result.
 */
export function runNativePartition(
  binary: string,
  spec: PartitionSpec,
  specFile: string,
  onMessage: (m: PartitionMessage) => void,
  onStart?: (child: ChildProcess) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  writeFileSync(specFile, nativeSpecText(spec));
  const child = spawn(binary, [specFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  onStart?.(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    process.stderr.write(d);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    try {
      onMessage(JSON.parse(line) as PartitionMessage);
    } catch {
      process.stderr.write(`native partition ${spec.index}: unreadable line: ${line.slice(0, 200)}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 2) reject(new Error(`kitgen refused its spec ${specFile}: ${stderr.trim()}`));
      else resolve({ code, signal });
    });
  });
}
