import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux on every common arch). */
const TICKS_PER_S = 100;

/**
 * CPU time (user + system, all threads) a process has used so far, in ms, from /proc/<pid>/stat;
 * null when it cannot be read (not Linux, or the process is gone). Used to report a broker's
 * CPU cost per message in the steady window of a benchmark, a figure that noisy neighbours on a
 * shared machine disturb far less than latency.
 */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces: the fields after it start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / TICKS_PER_S : null;
  } catch {
    return null;
  }
}

/**
 * CPU time (ms) of a process and its live descendants (a gateway with broker node processes,
 * ADR 024); null when the process itself cannot be read.
 */
export function processTreeCpuMs(pid: number | undefined): number | null {
  const own = processCpuMs(pid);
  if (pid === undefined || own === null) return own;
  let total = own;
  for (const child of descendants(pid)) total += processCpuMs(child) ?? 0;
  return total;
}

/** Resident memory (bytes) of a process from /proc/<pid>/status (VmRSS); null when it cannot be read. */
export function processRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The parent pid and the command name (comm) of a process from /proc/<pid>/stat; null when it is gone. */
export function processParent(pid: number): { ppid: number; comm: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), comm };
  } catch {
    return null;
  }
}

/** One variable of a process's environment (/proc/<pid>/environ; same user only); undefined when absent or unreadable. */
export function processEnv(pid: number, name: string): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith(`${name}=`));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/** The live descendants of a process (children, their children, …), from the parent pids in /proc. */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [pid, ppid] of parentOf) {
      if (ppid !== p) continue;
      out.push(pid);
      walk(pid);
    }
  };
  walk(root);
  return out;
}
