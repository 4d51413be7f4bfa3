import { z } from 'zod';
import { Ack, Command, Status, Telemetry } from '../protocol/messages.js';
import { invalid, valid } from './golden-source.js';
import { cases as kitContractCases } from './kit-contract-source.js';

/**
 * The JSON Schema (draft 2020-12) of the four device messages. Refinements that JSON Schema
 * cannot express from zod (tempC null ⇔ sensor ≠ ok; expect required for press) are added
 * by hand as if/then rules so that the firmware's contract test enforces them too.
 */
export function renderDeviceJsonSchema(): string {
  const one = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'throw' });
  const telemetry = {
    ...one(Telemetry),
    allOf: [
      {
        if: { properties: { sensor: { const: 'ok' } }, required: ['sensor'] },
        then: { properties: { tempC: { type: 'number' } } },
        else: { properties: { tempC: { type: 'null' } } },
      },
    ],
  };
  const command = {
    ...one(Command),
    allOf: [
      {
        if: { properties: { op: { const: 'press' } }, required: ['op'] },
        then: { required: ['expect'] },
        else: { not: { required: ['expect'] } },
      },
    ],
  };
  const ack = {
    ...one(Ack),
    allOf: [{ if: { properties: { ok: { const: false } }, required: ['ok'] }, then: { required: ['err'] } }],
  };
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sousvide.local/schemas/device-v1.schema.json',
    title: 'Smart sous-vide device protocol v1 (generated from shared/protocol/messages.ts; do not edit)',
    maxPayloadBytes: 1024,
    $defs: { telemetry: strip(telemetry), status: strip(one(Status)), cmd: strip(command), ack: strip(ack) },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function strip(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

export function renderGolden(): string {
  return `${JSON.stringify({ protocol: 1, valid, invalid }, null, 2)}\n`;
}

export function renderKitContract(): string {
  return `${JSON.stringify({ protocol: 1, cases: kitContractCases }, null, 2)}\n`;
}
