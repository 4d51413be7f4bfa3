import { z } from 'zod';

/** docs/protocol.md: device id `^[a-z0-9][a-z0-9-]{2,31}$`; the MQTT client id MUST equal it. */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,31}$/;

export const DeviceId = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{2,31}$ (lower-case letters, digits, dashes; 3-32 chars)');

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}
