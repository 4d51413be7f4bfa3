/**
 * Source of shared/fixtures/kit-contract-v1.json: the kit's command contract (docs/protocol.md,
 * "The kit's command contract") as cases every kit implementation is tested against (the
 * firmware's press scheduler, the thermal simulator, a third-party kit).
 *
 * A case: what the kit believes before, the command it receives, whether the same command (same
 * id) arrives a second time (QoS 1 redelivery) and whether it is older than `ttlMs` (only a press expires).
 * Its outcome counts everything both deliveries caused: the presses made, the one Ack, and what
 * the kit believes afterwards. `ack.heater` is what the Ack reports.
 */
export interface KitContractCase {
  name: string;
  before: { heater: boolean };
  command: { op: 'press'; expect: 'on' | 'off' } | { op: 'safe' };
  redelivered: boolean;
  expired: boolean;
  outcome: {
    presses: number;
    ack: { ok: true; heater: boolean } | { ok: false; heater: boolean; err: 'expired' };
    heater: boolean;
  };
}

type Command = KitContractCase['command'];

/**
 * The contract, written once:
 * - an expired `press` is refused (`ok: false`, `err: "expired"`) and presses nothing; a `safe`
 *   never expires (it can only switch the heater off, whatever the gateway's clock says);
 * - `press` presses exactly once, whatever the kit believed, then the kit believes and acks `expect`;
 * - `safe` presses only if the kit believes the heater on, then it believes and acks off;
 * - a redelivered id changes nothing: no second press, no second Ack.
 */
function outcome(before: boolean, command: Command, expired: boolean): KitContractCase['outcome'] {
  if (expired && command.op === 'press') return { presses: 0, ack: { ok: false, heater: before, err: 'expired' }, heater: before };
  if (command.op === 'safe') return { presses: before ? 1 : 0, ack: { ok: true, heater: false }, heater: false };
  const on = command.expect === 'on';
  return { presses: 1, ack: { ok: true, heater: on }, heater: on };
}

const COMMANDS: Command[] = [{ op: 'press', expect: 'on' }, { op: 'press', expect: 'off' }, { op: 'safe' }];

function caseName(before: boolean, command: Command, redelivered: boolean, expired: boolean): string {
  const cmd = command.op === 'press' ? `press expect ${command.expect}` : 'safe';
  const extras = [expired ? 'expired' : '', redelivered ? 'delivered twice' : ''].filter((s) => s !== '');
  return `believed ${before ? 'on' : 'off'}, ${cmd}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
}

export const cases: KitContractCase[] = [false, true].flatMap((before) =>
  COMMANDS.flatMap((command) =>
    [false, true].flatMap((expired) =>
      [false, true].map((redelivered) => ({
        name: caseName(before, command, redelivered, expired),
        before: { heater: before },
        command,
        redelivered,
        expired,
        outcome: outcome(before, command, expired),
      })),
    ),
  ),
);
