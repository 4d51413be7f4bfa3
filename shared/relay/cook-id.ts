/**
 * A cook record's id (shared/relay/batch.ts `CookRecord.id`) is `<cook id>-v<version>-<state>`: one
 * record per version and lifecycle state of a cook, so replays are no-ops. The cloud takes the cook
 * id back from it to adopt a cook changed at the kitchen as its desired state (docs/sync.md).
 */
export function cookRecordId(cookId: string, version: number, state: string): string {
  return `${cookId}-v${version}-${state}`;
}

/** The cook id of a cook record; a record id without the suffix is taken as the cook id itself. */
export function cookIdOf(record: { id: string; version: number; state: string }): string {
  const suffix = `-v${record.version}-${record.state}`;
  return record.id.endsWith(suffix) && record.id.length > suffix.length ? record.id.slice(0, -suffix.length) : record.id;
}
