import t from 'tap';
import { activeAlarms } from './alarms.js';
import { initialControlState } from './index.js';

t.test('active alarms are read from the latches of the watchdog and the engine', async (t) => {
  const s = initialControlState();
  t.same(activeAlarms(s), [], 'a new kit has none');
  const all = {
    ...s,
    watchdog: { ...s.watchdog, overTemp: true, sensorFault: 'disconnected', stuckAlarmed: true, dangerAlarmed: true },
    engine: { ...s.engine, flags: { ...s.engine.flags, missAlarmed: true } },
    resumeHold: 'bath below 54.4 °C after a restart',
  };
  t.same(activeAlarms(all), ['over_temp', 'sensor_fault', 'heater_stuck', 'food_safety_alarm', 'actuator_fault', 'resume_unsafe']);
  t.same(activeAlarms({ ...s, watchdog: { ...s.watchdog, sensorFault: 'crc' } }), ['sensor_fault'], 'each on its own');
});
