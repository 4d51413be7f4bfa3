import t from 'tap';
import { loadConfig, redactConfig } from '../../shared/config/load.js';
import { isSvError } from '../../shared/errors.js';
import { checkGatewayConfig, gatewayConfig } from '../config.js';

const details = (fn: () => unknown): string => {
  try {
    fn();
    return '(no error)';
  } catch (err) {
    return isSvError(err, 'SV_ERR_CONFIG_INVALID') ? err.details.join('\n') : `unexpected: ${String(err)}`;
  }
};

t.test('the ha.* keys: flags, defaults, and clear errors naming the key', async (t) => {
  const off = loadConfig(gatewayConfig, {});
  t.equal(off.ha.mqttUrl, undefined, 'off by default');
  t.equal(off.ha.discoveryPrefix, 'homeassistant', "HA's default discovery prefix");
  t.equal(off.ha.birthTopic, 'homeassistant/status', "HA's default birth topic");
  t.equal(
    loadConfig(gatewayConfig, { flags: { 'ha-discovery-prefix': 'ha' } }).ha.birthTopic,
    'homeassistant/status',
    'not derived from the discovery prefix (HA keeps them apart)',
  );
  t.equal(loadConfig(gatewayConfig, { flags: { 'ha-birth-topic': 'ha/status' } }).ha.birthTopic, 'ha/status');
  const on = loadConfig(gatewayConfig, {
    flags: {
      'ha-mqtt-url': 'mqtt://core-mosquitto:1883',
      'ha-username': 'sousvide',
      'ha-password': 'pw-123456',
      'ha-discovery-prefix': 'ha',
    },
  });
  t.match(on.ha, { mqttUrl: 'mqtt://core-mosquitto:1883', username: 'sousvide', password: 'pw-123456', discoveryPrefix: 'ha' });
  checkGatewayConfig(on);
  t.notMatch(JSON.stringify(redactConfig(gatewayConfig, on)), /pw-123456/, 'the password is redacted');

  t.match(
    details(() => loadConfig(gatewayConfig, { flags: { 'ha-mqtt-url': 'http://core-mosquitto' } })),
    /^ha\.mqttUrl: must be a URL starting with mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/$/m,
    'a URL that is not MQTT',
  );
  t.match(
    details(() => loadConfig(gatewayConfig, { flags: { 'ha-discovery-prefix': 'home/#' } })),
    /^ha\.discoveryPrefix: must be topic levels/m,
  );
  t.match(
    details(() => loadConfig(gatewayConfig, { flags: { 'ha-discovery-prefix': '/ha/' } })),
    /^ha\.discoveryPrefix: /m,
  );
  t.match(
    details(() => loadConfig(gatewayConfig, { flags: { 'ha-birth-topic': 'homeassistant/+' } })),
    /^ha\.birthTopic: must be topic levels/m,
  );
  t.match(
    details(() => checkGatewayConfig(loadConfig(gatewayConfig, { flags: { 'ha-username': 'sousvide' } }))),
    /^ha\.mqttUrl: required when ha\.username or ha\.password is set/m,
  );
  t.match(
    details(() => checkGatewayConfig(loadConfig(gatewayConfig, { flags: { 'ha-mqtt-url': 'mqtt://h:1883', 'ha-password': 'pw-123456' } }))),
    /^ha\.username: required with ha\.password/m,
  );
});
