import { randomBytes } from 'node:crypto';
import { type Notification, notificationText } from '../../shared/notify/message.js';

/** The message of `sousvide notify test`: its own id each time, so that receivers do not drop it. */
export function testNotification(gatewayName: string, nowMs: number): Notification {
  return {
    id: `test-${nowMs.toString(36)}-${randomBytes(4).toString('hex')}`,
    type: 'test',
    severity: 'info',
    deviceId: null,
    at: new Date(nowMs).toISOString(),
    text: `${notificationText({ type: 'test', data: {} })} (gateway ${gatewayName})`,
  };
}
