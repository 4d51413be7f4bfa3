import type { Ack, Command } from '../../shared/protocol/messages.js';
import { monotonicNow } from '../../shared/time/monotonic.js';
import type { Decision } from '../control/types.js';
import { newId } from './ids.js';
import type { RecordSink } from './record-sink.js';

export interface CommandOptions {
  ackTimeoutMs: number;
  /** Retries after the first attempt (PROTOCOL budget: at most 2). */
  retries: number;
  ttlMs: number;
  maxC: number;
}

interface Pending {
  cmd: Command;
  deviceId: string;
  attempts: number;
  issuedTs: number;
  /** Monotonic time of the first attempt: the age `sentTs` gives the command on every attempt. */
  firstMono: number;
  /** Monotonic time of the last attempt, and whether it carried `sentTs`. */
  sentMono: number;
  withSentTs: boolean;
  timer: NodeJS.Timeout;
}

/**
 * The command path: a decision becomes a PROTOCOL Command published QoS 1 to `sv/<id>/cmd`,
 * tracked until the kit's Ack, retried after the ack timeout at most `retries` times, then given
 * up. A retry has the same id (the kit executes an id once) and the same `sentTs` (a retry is as
 * old as its command, so a press that a reset kept from being acked expires instead of running
 * late; ADR 086). Each outcome is a command_result record, and a failure is reported back to
 * control (which re-plans within its press budget).
 */
export class CommandSender {
  private readonly pending = new Map<string, Pending>();
  /**
   * Kits whose clock disagrees with this gateway's by more than the TTL: they refused as expired a
   * command sent a moment ago. Their commands go without `sentTs` (a kit then counts the TTL from
   * receipt) until the wall clock steps (`clockStepped`: NTP's first sync, most likely).
   */
  private readonly skewed = new Set<string>();
  stats = { sent: 0, acked: 0, refused: 0, timeout: 0, retries: 0 };

  constructor(
    private readonly publish: (deviceId: string, payload: string) => void,
    private readonly sink: RecordSink,
    private readonly onFailed: (deviceId: string, commandId: string, why: string) => void,
    private readonly o: CommandOptions,
    private readonly now: () => number = Date.now,
    /** Every Ack that answers one of our commands (control takes the kit's belief from it). */
    private readonly onAcked: (deviceId: string, cmd: Command, ack: Ack) => void = () => {},
    /** A kit refused as expired a command sent `afterMs` ago, within its TTL: the two clocks disagree. */
    private readonly onClockSkew: (deviceId: string, afterMs: number) => void = () => {},
  ) {}

  /** The wall clock stepped (control-loop's tick): send `sentTs` to every kit again. */
  clockStepped(): void {
    this.skewed.clear();
  }

  send(deviceId: string, decision: Exclude<Decision, { kind: 'none' }>): Command {
    const ts = this.now();
    const cmd: Command =
      decision.kind === 'press'
        ? { v: 1, id: newId('c', ts), op: 'press', expect: decision.expect, ttlMs: this.o.ttlMs, sentTs: ts, maxC: this.o.maxC }
        : { v: 1, id: newId('c', ts), op: 'safe', ttlMs: this.o.ttlMs, sentTs: ts, maxC: this.o.maxC };
    const p: Pending = {
      cmd,
      deviceId,
      attempts: 0,
      issuedTs: ts,
      firstMono: 0,
      sentMono: 0,
      withSentTs: true,
      timer: undefined as unknown as NodeJS.Timeout,
    };
    this.pending.set(cmd.id, p);
    this.attempt(p);
    return cmd;
  }

  onAck(deviceId: string, ack: Ack): void {
    const p = this.pending.get(ack.id);
    if (!p || p.deviceId !== deviceId) return; // unknown or foreign id: ignored (and never trusted)
    clearTimeout(p.timer);
    this.pending.delete(ack.id);
    // With `sentTs` the kit ages the command from the first attempt (retries keep it).
    const afterMs = monotonicNow() - (p.withSentTs ? p.firstMono : p.sentMono);
    if (!ack.ok && ack.err === 'expired' && p.withSentTs && afterMs < this.o.ttlMs && !this.skewed.has(deviceId)) {
      this.skewed.add(deviceId);
      this.onClockSkew(deviceId, Math.round(afterMs));
    }
    const ts = this.now();
    if (ack.ok) this.stats.acked++;
    else this.stats.refused++;
    this.sink.commandResult({
      kind: 'command_result',
      id: p.cmd.id,
      deviceId,
      op: p.cmd.op,
      ...(p.cmd.expect ? { expect: p.cmd.expect } : {}),
      issuedTs: p.issuedTs,
      ackTs: ts,
      outcome: ack.ok ? 'acked' : 'refused',
      heater: ack.heater,
      ...(ack.err ? { err: ack.err } : {}),
      attempts: p.attempts,
    });
    if (!ack.ok) this.onFailed(deviceId, p.cmd.id, `refused: ${ack.err ?? 'no reason'}`);
    // A refusal that says the kit does not know its heater state goes to control too (its alarm, ADR 088).
    if (ack.ok || ack.err === 'in-doubt') this.onAcked(deviceId, p.cmd, ack);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  stop(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private attempt(p: Pending): void {
    p.attempts++;
    if (p.attempts > 1) this.stats.retries++;
    else this.stats.sent++;
    p.sentMono = monotonicNow();
    if (p.attempts === 1) p.firstMono = p.sentMono;
    p.withSentTs = !this.skewed.has(p.deviceId);
    // `p.cmd.sentTs` is the first attempt's time: a retry never looks younger than its command.
    const { sentTs: _sentTs, ...bare } = p.cmd;
    this.publish(p.deviceId, JSON.stringify(p.withSentTs ? p.cmd : bare));
    p.timer = setTimeout(() => this.timeout(p), this.o.ackTimeoutMs);
    p.timer.unref();
  }

  private timeout(p: Pending): void {
    if (!this.pending.has(p.cmd.id)) return;
    if (p.attempts <= this.o.retries) {
      this.attempt(p);
      return;
    }
    this.pending.delete(p.cmd.id);
    this.stats.timeout++;
    this.sink.commandResult({
      kind: 'command_result',
      id: p.cmd.id,
      deviceId: p.deviceId,
      op: p.cmd.op,
      ...(p.cmd.expect ? { expect: p.cmd.expect } : {}),
      issuedTs: p.issuedTs,
      ackTs: null,
      outcome: 'timeout',
      attempts: p.attempts,
    });
    this.onFailed(p.deviceId, p.cmd.id, `no ack after ${p.attempts} attempts`);
  }
}
