/** One dispatched server-sent event (the WHATWG event-stream format). */
export interface SseMessage {
  /** The last event id the stream has set (ids persist across messages, as in EventSource). */
  lastEventId: string;
  /** Whether this message carried an id field itself. */
  hasId: boolean;
  event: string;
  data: string;
}

/**
 * An incremental text/event-stream parser (pure; used by the dashboard, the tests and the bench,
 * where EventSource cannot send an Authorization header). Feed it decoded text in any chunks.
 */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  private id: string;
  private dispatchedId: string;
  private hasId = false;
  /** Comment lines seen (heartbeats). */
  comments = 0;

  constructor(lastEventId = '') {
    this.id = lastEventId;
    this.dispatchedId = lastEventId;
  }

  /**
   * The id to resume from (Last-Event-ID): set at the end of each message, as EventSource does,
   * including a message of an id alone (no data), which the server sends to move it forward.
   */
  get lastEventId(): string {
    return this.dispatchedId;
  }

  feed(text: string): SseMessage[] {
    this.buf += text;
    const out: SseMessage[] = [];
    let nl = this.buf.search(/\r\n|\r|\n/);
    while (nl !== -1) {
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (this.buf[nl] === '\r' && nl === this.buf.length - 1) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(this.buf.startsWith('\r\n', nl) ? nl + 2 : nl + 1);
      this.line(line, out);
      nl = this.buf.search(/\r\n|\r|\n/);
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      this.dispatchedId = this.id;
      if (this.data.length > 0)
        out.push({ lastEventId: this.id, hasId: this.hasId, event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.event = '';
      this.hasId = false;
      return;
    }
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\u0000')) {
      this.id = value;
      this.hasId = true;
    }
  }
}
