import { Command } from '../../shared/protocol/messages.js';
import { AckSchedule } from '../../shared/thermal/ack-schedule.js';
import type { ThermalSim } from '../../shared/thermal/simulator.js';
import { webhookReceiver } from '../../test/harness/notify-receivers.js';
import { type GatewayFixture, kitWithApi, startGateway } from './fixture.js';

/** A command as the simulated kit received it, with the simulator's second. */
export interface ReceivedCommand {
  simS: number;
  cmd: Command;
}

/**
 * A simulated kit (a ThermalSim bath) over real MQTT/TLS in accelerated time: it obeys each
 * command as its `behaviour` says and acknowledges it after the servo's motion; `second()` steps the bath one simulated
 * second and sends its reading, then waits until control saw the reading and every command it
 * caused was acknowledged. The gateway's clock should be the simulator's (`now: () => sim.nowMs`).
 */
export async function simKitOverMqtt(
  t: { teardown(fn: () => Promise<void> | void): void },
  gw: GatewayFixture,
  sim: ThermalSim,
  id: string,
  /**
   * The kit's own synced clock: it then judges a command's age by `sentTs` as the firmware does
   * (docs/protocol.md: only a press expires), and ignores a redelivered id. Default: no clock.
   */
  kitClock?: () => number,
) {
  const { kit, api: raw } = await kitWithApi(t, gw, id);
  const received: ReceivedCommand[] = [];
  /** The kit's Acks on their way: each leaves after the servo's motion, in the bath's time. */
  const acks = new AckSchedule<string>();
  kit.on('message', (_topic, payload) => {
    const cmd = Command.parse(JSON.parse(payload.toString()));
    received.push({ simS: sim.tMs / 1000, cmd });
    const op = { op: cmd.op, ...(cmd.expect ? { expect: cmd.expect } : {}) };
    const expired = kitClock !== undefined && cmd.sentTs !== undefined && kitClock() - cmd.sentTs > cmd.ttlMs;
    const ack = kitClock ? sim.receive({ id: cmd.id, ...op, expired }) : sim.command(op);
    if (ack === null) return; // a redelivered id: the first delivery's Ack stands
    const err = ack.err ? { err: ack.err } : {};
    const body = JSON.stringify({ v: 1, id: cmd.id, ok: ack.ok, heater: ack.heater, ...err });
    if (ack.afterMs === 0) kit.publish(`sv/${id}/ack`, body, { qos: 1 });
    else acks.add(sim.tMs + ack.afterMs, body);
  });
  await kit.subscribeAsync(`sv/${id}/cmd`, { qos: 1 });
  let heard = 0;
  gw.gateway.ingest.on('live', () => heard++);
  const stats = () =>
    (gw.gateway.control as unknown as { sender: { stats: { sent: number; retries: number; acked: number } } }).sender.stats;
  /** The bath each simulated second, as it was when its reading left the kit. */
  const bath: { simS: number; waterC: number; on: boolean }[] = [];
  const second = async () => {
    acks.step(sim, 1000, (payload) => kit.publish(`sv/${id}/ack`, payload, { qos: 1 }));
    bath.push({ simS: sim.tMs / 1000, waterC: sim.waterC, on: sim.heaterOn });
    const want = heard + 1;
    kit.publish(`sv/${id}/telemetry`, JSON.stringify(sim.telemetry()), { qos: 0 });
    const deadline = performance.now() + 10_000;
    while (heard < want) {
      if (performance.now() > deadline) throw new Error(`${id}: a reading did not reach control within 10 s (the kit was cut off?)`);
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 5000 && stats().acked + acks.size < stats().sent; i++) await new Promise((r) => setImmediate(r));
  };
  /** The local API with the operator token; the answer's status and JSON body. */
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await raw(method, path, body);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  return { kit, received, bath, second, api };
}

/**
 * A gateway on the simulator's clock whose cloud is unreachable, telling the cook through a real
 * signed webhook receiver (stopped at teardown): what the end-to-end control tests run against.
 */
export async function simGatewayWithWebhook(t: { teardown(fn: () => Promise<void> | void): void }, sim: ThermalSim, secret: string) {
  const webhook = await webhookReceiver(secret);
  await webhook.start();
  t.teardown(() => webhook.stop());
  const gw = await startGateway(
    t,
    {
      'cloud.url': 'http://127.0.0.1:9',
      'cloud.token': 'svg_unreachable-cloud-token-0000',
      'notify.webhookUrl': webhook.url,
      'notify.webhookSecret': secret,
    },
    { now: () => sim.nowMs, monoNow: () => sim.nowMs },
  );
  return { gw, webhook };
}
