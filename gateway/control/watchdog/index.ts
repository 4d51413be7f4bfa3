export {
  type CookCheck,
  type CookField,
  checkCookSpec,
  maxTargetC,
  type ResumeInput,
  type ResumeVerdict,
  resumeCheck,
} from './cook-rules.js';
export { initialWatchdogState, type WatchdogState, watchdogInhibit } from './state.js';
export {
  retryOnCookChange,
  type WatchdogContext,
  type WatchdogResult,
  watchCookStart,
  watchStatus,
  watchTelemetry,
  watchTick,
} from './watchdog.js';
