import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Sets the nice value of the calling thread only (Linux: setpriority on the thread's own id, read
 * from /proc/thread-self). A negative value needs CAP_SYS_NICE or a nice limit that allows it
 * (systemd `LimitNICE=`); the caller gets the reason when it is refused, or null.
 */
export function setThreadNice(nice: number): string | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return 'no thread id in /proc/thread-self';
    setPriority(tid, nice);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
