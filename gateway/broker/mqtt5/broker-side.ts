import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** What the session does with the broker's side of the pipe. */
export interface BrokerSideOwner {
  /** Aedes wrote MQTT 3.1.1 bytes for the client; call `done` when more may come (backpressure). */
  fromBroker(chunk: Buffer, done: () => void): void;
  /** Aedes wants more input: reading the client may resume. */
  brokerReady(): void;
  /** Aedes closed the connection (refused CONNECT, DISCONNECT, takeover, error…). */
  brokerClosed(): void;
}

/**
 * The connection Aedes sees for an MQTT 5 client: it reads translated MQTT 3.1.1 packets here and
 * writes its answers here. What the authenticator and the hooks read from a connection (remote
 * address, client certificate, TLS verification result) comes from the real socket.
 */
export class BrokerSide extends Duplex {
  constructor(
    private readonly raw: Socket,
    private readonly owner: BrokerSideOwner,
  ) {
    super();
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  get authorized(): boolean | undefined {
    return (this.raw as Partial<TLSSocket>).authorized;
  }

  get authorizationError(): Error | undefined {
    return (this.raw as Partial<TLSSocket>).authorizationError;
  }

  getPeerCertificate(detailed?: boolean): PeerCertificate | undefined {
    const tls = this.raw as Partial<TLSSocket>;
    if (typeof tls.getPeerCertificate !== 'function') return undefined;
    return detailed === true ? tls.getPeerCertificate(true) : tls.getPeerCertificate(false);
  }

  override _read(): void {
    this.owner.brokerReady();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.owner.fromBroker(chunk, () => done());
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    this.owner.brokerClosed();
    done(err);
  }
}
