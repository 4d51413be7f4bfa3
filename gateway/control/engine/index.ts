export {
  changeCook,
  commandFailed,
  type EngineResult,
  forgetReadings,
  markFault,
  noteHeaterOff,
  noteSafe,
  noteTestPress,
  type ResumedCook,
  resumeCook,
  setInhibit,
  startCook,
  step,
  stopCook,
} from './engine.js';
export { type PulseShape, pulseShape } from './plan.js';
export { type ActuatorHealth, type CookSession, type EngineState, initialEngineState, type Learned } from './state.js';
export { healthData } from './verify.js';
