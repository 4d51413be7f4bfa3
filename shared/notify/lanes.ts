/**
 * Delivery lanes, one per channel, for the delivery workers of the gateway and the cloud. A
 * channel's rows go one after the other, in order; a channel whose receiver does not answer holds
 * only its own lane (up to the send timeout a row), never another channel's: the worker's pass
 * starts the lanes and does not wait for them, and leaves the rows of a busy channel for a later
 * pass. So a webhook that hangs cannot hold back the e-mail of the same kitchen, nor, in the cloud,
 * another org's alarms.
 */
export class ChannelLanes<Row> {
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(
    /** Sends one channel's rows in order; must not throw (the worker logs its own failures). */
    private readonly send: (channel: string, rows: readonly Row[]) => Promise<void>,
    /** A lane ended: its channel may have more rows due (the worker runs a pass). */
    private readonly freed: () => void,
  ) {}

  /** The channels with a lane under way: a pass does not read their rows. */
  busy(): string[] {
    return [...this.lanes.keys()];
  }

  /** Starts a lane for each channel of `rows` that has none, with at most `perLane` of its rows. */
  start(rows: readonly Row[], channelOf: (row: Row) => string, perLane: number): void {
    const byChannel = new Map<string, Row[]>();
    for (const row of rows) {
      const channel = channelOf(row);
      if (this.lanes.has(channel)) continue;
      const mine = byChannel.get(channel) ?? [];
      if (mine.length < perLane) mine.push(row);
      byChannel.set(channel, mine);
    }
    for (const [channel, mine] of byChannel) {
      // `send` handles its own failures; a throw that escapes it still frees the lane.
      const lane = this.send(channel, mine)
        .catch(() => {})
        .finally(() => {
          this.lanes.delete(channel);
          this.freed();
        });
      this.lanes.set(channel, lane);
    }
  }

  /** Resolves when no lane is under way (a stop, or a test waiting for the sends). */
  async idle(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all(this.lanes.values());
  }
}
