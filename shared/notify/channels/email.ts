import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import { type Notification, notificationTitle } from '../message.js';
import { type Channel, SEND_TIMEOUT_MS } from './channel.js';

export interface EmailOptions {
  /** smtp://user:pass@host:port (STARTTLS required) or smtps:// (TLS from the start). */
  smtpUrl: string;
  to: readonly string[];
  from: string;
  caFile?: string | undefined;
  /** The domain of the Message-ID (default sousvide.gateway). */
  idDomain?: string;
}

/**
 * E-mail through SMTP (nodemailer). A plain smtp:// URL must upgrade with STARTTLS before the
 * credentials go out; the Message-ID is derived from the notification id, so a resent mail is
 * recognisably the same.
 */
export class EmailChannel implements Channel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly opts: EmailOptions) {
    const u = new URL(opts.smtpUrl);
    const secure = u.protocol === 'smtps:';
    this.transport = nodemailer.createTransport({
      host: u.hostname,
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      requireTLS: !secure,
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
      connectionTimeout: SEND_TIMEOUT_MS,
      greetingTimeout: SEND_TIMEOUT_MS,
      socketTimeout: SEND_TIMEOUT_MS,
      tls: opts.caFile ? { ca: readFileSync(opts.caFile) } : {},
      logger: false,
    });
  }

  async send(n: Notification): Promise<void> {
    await this.transport.sendMail({
      from: this.opts.from,
      to: [...this.opts.to],
      subject: `[${n.severity}] ${notificationTitle(n)}`,
      text: `${n.text}\n\nKit: ${n.deviceId ?? '(none)'}\nAt: ${n.at}\nId: ${n.id}\n`,
      messageId: `<${n.id.replace(/[^A-Za-z0-9._~-]/g, '_')}@${this.opts.idDomain ?? 'sousvide.gateway'}>`,
      headers: { 'X-Sousvide-Id': n.id },
    });
  }

  close(): void {
    this.transport.close();
  }
}
