export { AckSchedule } from './ack-schedule.js';
export {
  DEFAULT_KIT,
  DS18B20_LSB_C,
  heatCapacityJPerK,
  type KitBehaviour,
  type KitParams,
  kitParams,
  physicalMinHeatUpMs,
} from './params.js';
export { Prng } from './prng.js';
export { type FaultKind, type SimAck, type SimCommand, ThermalSim } from './simulator.js';
