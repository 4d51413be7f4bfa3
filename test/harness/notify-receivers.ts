import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { type SignatureCheck, verifySignature } from '../../shared/notify/signature.js';

/**
 * Real notification receivers for tests: an HTTP server that verifies the webhook signature, an
 * ntfy-compatible publish endpoint, and an SMTP server (smtp-server) that requires STARTTLS and
 * auth. Each can be stopped and started again on the same port (a receiver that is down).
 */

export interface WebhookDelivery {
  body: Record<string, unknown>;
  check: SignatureCheck;
  raw: string;
}
export interface NtfyDelivery {
  topic: string;
  title: string | undefined;
  priority: string | undefined;
  tags: string | undefined;
  id: string | undefined;
  authorization: string | undefined;
  text: string;
}
export interface MailDelivery {
  user: string | undefined;
  secured: boolean;
  from: string | undefined;
  to: string[];
  subject: string | undefined;
  id: string | undefined;
  raw: string;
}

export interface Receiver<T> {
  port: number;
  url: string;
  received: T[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function httpReceiver<T>(
  port: number,
  path: string,
  handle: (req: IncomingMessage, raw: string) => { status: number; item?: T },
): Promise<Receiver<T>> {
  const received: T[] = [];
  let server: Server | undefined;
  const r: Receiver<T> = {
    port,
    url: `http://127.0.0.1:${port}${path}`,
    received,
    async start() {
      server = createServer(async (req, res) => {
        const raw = await readBody(req);
        const out = handle(req, raw);
        if (out.item !== undefined) received.push(out.item);
        res.writeHead(out.status, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => server?.listen(r.port, '127.0.0.1', resolve));
      r.port = (server.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${r.port}${path}`;
    },
    async stop() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
  return r;
}

/** Answers 401 to a bad signature (and keeps it, so that a test sees it). */
export function webhookReceiver(secret: string, port = 0): Promise<Receiver<WebhookDelivery>> {
  return httpReceiver<WebhookDelivery>(port, '/hook', (req, raw) => {
    const header = req.headers['x-sousvide-signature'];
    const check = verifySignature(secret, raw, typeof header === 'string' ? header : undefined, Math.floor(Date.now() / 1000));
    return { status: check.ok ? 200 : 401, item: { body: JSON.parse(raw) as Record<string, unknown>, check, raw } };
  });
}

/** ntfy's publish: POST /<topic> with the message as the body and its options as headers. */
export function ntfyReceiver(port = 0): Promise<Receiver<NtfyDelivery>> {
  return httpReceiver<NtfyDelivery>(port, '/kitchen', (req, raw) => {
    if (req.method !== 'POST' && req.method !== 'PUT') return { status: 405 };
    const h = (k: string) => {
      const v = req.headers[k];
      return typeof v === 'string' ? v : undefined;
    };
    return {
      status: 200,
      item: {
        topic: (req.url ?? '').slice(1),
        title: h('title'),
        priority: h('priority'),
        tags: h('tags'),
        id: h('x-sousvide-id'),
        authorization: h('authorization'),
        text: raw,
      },
    };
  });
}

/** SMTP with STARTTLS required before AUTH (smtp-server refuses AUTH in the clear). */
export async function smtpReceiver(
  tls: { key: Buffer; cert: Buffer },
  creds: { user: string; pass: string },
  port = 0,
): Promise<Receiver<MailDelivery>> {
  const received: MailDelivery[] = [];
  let server: SMTPServer | undefined;
  const r: Receiver<MailDelivery> = {
    port,
    url: '',
    received,
    async start() {
      server = new SMTPServer({
        secure: false,
        key: tls.key,
        cert: tls.cert,
        authMethods: ['PLAIN', 'LOGIN'],
        allowInsecureAuth: false,
        logger: false,
        onAuth(auth, _session, cb) {
          if (auth.username === creds.user && auth.password === creds.pass) cb(null, { user: auth.username });
          else cb(new Error('Invalid username or password'));
        },
        onData(stream, session, cb) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const header = (name: string) =>
              new RegExp(`^${name}: *(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ');
            received.push({
              user: session.user as string | undefined,
              secured: session.secure,
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
              to: session.envelope.rcptTo.map((a) => a.address),
              subject: header('Subject'),
              id: header('X-Sousvide-Id'),
              raw,
            });
            cb();
          });
        },
      });
      await new Promise<void>((resolve) => server?.listen(r.port, '127.0.0.1', () => resolve()));
      r.port = (server.server.address() as AddressInfo).port;
      r.url = `smtp://${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.pass)}@localhost:${r.port}`;
    },
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
  return r;
}

/**
 * A receiver that takes requests and never answers (an injected fault: a webhook whose server
 * hangs, or a route that drops packets while the internet is down). It counts what arrived; stop()
 * drops the connections it holds.
 */
export async function stallingReceiver(): Promise<{ url: string; arrived: () => number; stop(): Promise<void> }> {
  let arrived = 0;
  const server = createServer((req) => {
    arrived++;
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrived: () => arrived,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
