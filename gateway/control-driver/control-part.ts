import type { Logger } from '../../shared/log.js';
import type { Ack, Status, Telemetry } from '../../shared/protocol/messages.js';
import type { SteadyClock } from '../../shared/time/steady-clock.js';
import type { GatewayConfig } from '../config.js';
import { type ControlConfig, DEFAULT_CONTROL, DEFAULT_WATCHDOG } from '../control/index.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Part } from '../parts/part.js';
import type { Stats } from '../stats.js';
import type { StoreReader } from '../store/reader.js';
import type { StoreWriter } from '../store/writer.js';
import { CommandSender } from './command-sender.js';
import { ControlLoop } from './control-loop.js';
import { type RecordListener, RecordSink } from './record-sink.js';

export interface ControlDeps {
  config: GatewayConfig;
  store: StoreWriter;
  reader: StoreReader;
  ingest: IngestPipeline;
  /** Sends a command to a kit (the broker's `sendCommand`). */
  send: (deviceId: string, payload: string) => void;
  relayOn: () => boolean;
  log: Logger;
  /** Control's own time (shared/time/steady-clock.ts): the wall clock at start, advanced by the monotonic clock; its wall clock stamps commands. */
  clock: SteadyClock;
  /** Counts what control notices about kits (`boot_regression`). */
  stats: Stats;
  /** Which recorded events notify (gateway/notify/); their rows go into the event's commit. */
  notify?: ConstructorParameters<typeof RecordSink>[3];
  /** After the commit of an event that raised or cleared alarms. */
  alarmStep?: ConstructorParameters<typeof RecordSink>[4];
  /** Told of committed events and cook changes (the live stream, gateway/stream/). */
  recorded?: RecordListener;
}

/**
 * The control rules' settings from the gateway's config: `control.maxC` is the gateway's own
 * absolute over-temperature limit (the watchdog trips the latched fail-safe above it, cook or no
 * cook), not only the figure sent to kits for theirs.
 */
export function controlConfigOf(control: GatewayConfig['control']): ControlConfig {
  return { ...DEFAULT_CONTROL, watchdog: { ...DEFAULT_WATCHDOG, absoluteMaxC: control.maxC } };
}

/**
 * Control as a gateway part: fully local; readings come from the ingest pipeline and decisions go
 * out as commands on the kit's cmd topic. Started after the broker; stopped before it, so the
 * Last Wills of the kits the broker's close disconnects do not drive a stopped loop (nor write
 * after the store closed).
 */
export class ControlPart implements Part {
  readonly name = 'control';
  readonly loop: ControlLoop;
  private readonly sender: CommandSender;
  private readonly onLive = (id: string, m: Telemetry, rxTs: number) => this.loop.onReading(id, m, rxTs);
  private readonly onStatus = (id: string, m: Status) => this.loop.onStatus(id, m.state === 'online');
  private readonly onAck = (id: string, m: Ack) => this.sender.onAck(id, m);

  constructor(private readonly d: ControlDeps) {
    const { config, log } = d;
    const sink = new RecordSink(
      d.store,
      d.relayOn,
      (err) => log.error({ err }, 'could not record an event or audit entry'),
      d.notify,
      d.alarmStep,
      d.recorded,
    );
    this.sender = new CommandSender(
      d.send,
      sink,
      (deviceId, _id, why) => {
        log.warn({ deviceId, why }, 'command failed');
        this.loop.onCommandFailed(deviceId);
      },
      {
        ackTimeoutMs: config.control.ackTimeoutMs,
        retries: config.control.retries,
        ttlMs: config.control.commandTtlMs,
        maxC: config.control.maxC,
      },
      () => d.clock.wallNow(),
      (deviceId, cmd, ack) => this.loop.onAck(deviceId, cmd, ack),
      (deviceId, afterMs) => {
        d.stats.inc('command_clock_skew');
        log.warn(
          { deviceId, afterMs, ttlMs: config.control.commandTtlMs },
          "a kit refused as expired a command sent a moment ago: its clock and this gateway's disagree by more than the TTL (check NTP on both); its commands now go without sentTs",
        );
      },
    );
    this.loop = new ControlLoop(this.sender, sink, log, d.clock, d.stats, controlConfigOf(config.control));
  }

  start(): void {
    const { reader } = this.d;
    const resumed = this.loop.resumeFrom(reader.runningCooks(), (id, fromTs) => reader.readingsSince(id, fromTs));
    if (resumed > 0) this.d.log.info({ resumed }, 'cooks resume with the first new reading of each kit');
    const carried = this.loop.resumeAlarms(reader.unclearedAlarms());
    if (carried > 0)
      this.d.log.info({ carried }, 'over-temperature alarms from before the restart are judged again with the first reading');
    const { ingest } = this.d;
    ingest.on('live', this.onLive);
    ingest.on('status', this.onStatus);
    ingest.on('ack', this.onAck);
    this.loop.start();
  }

  stop(): void {
    const { ingest } = this.d;
    ingest.off('live', this.onLive);
    ingest.off('status', this.onStatus);
    ingest.off('ack', this.onAck);
    this.loop.stop();
    this.sender.stop();
  }
}
