import type { Logger } from '../../shared/log.js';
import type { ConfigsAtRest } from '../stores/types.js';

/**
 * The start-up lines about the channel configs at rest (ADR 076, 077): counts only, never a value
 * or a key. With notify.previousSecretsKeys set the counts are always logged: they say when a
 * previous key can be removed (no config opens only with it).
 */
export function logConfigsAtRest(log: Logger, atRest: ConfigsAtRest, o: { keySet: boolean; previousKeys: number }): void {
  if (!o.keySet) {
    if (atRest.plain > 0)
      log.warn({ channels: atRest.plain }, 'notification channel configs are stored as given: set notify.secretsKey to seal them at rest');
    if (atRest.unreadable > 0)
      log.warn(
        { channels: atRest.unreadable },
        'notification channel configs are sealed and notify.secretsKey is not set: they do not open',
      );
    return;
  }
  const counts = { sealed: atRest.sealed, resealed: atRest.resealed, onlyPreviousKey: atRest.previous, unreadable: atRest.unreadable };
  if (o.previousKeys > 0 && atRest.previous === 0) {
    log.info(
      counts,
      'notification channel configs at rest: none opens only with a previous key; notify.previousSecretsKeys can be removed once every instance runs with this notify.secretsKey',
    );
  } else if (atRest.sealed + atRest.resealed > 0) {
    log.info(counts, 'notification channel configs sealed at rest (notify.secretsKey)');
  }
  if (atRest.previous > 0)
    log.warn(
      counts,
      'notification channel configs still open only with a previous key (an instance with another notify.secretsKey sealed them): keep notify.previousSecretsKeys',
    );
  if (atRest.unreadable > 0)
    log.warn(
      counts,
      'notification channel configs open with neither notify.secretsKey nor notify.previousSecretsKeys: they are listed as sealed and their deliveries fail',
    );
}
