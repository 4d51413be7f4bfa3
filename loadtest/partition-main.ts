/** Child-process entry of a load-generator partition: `node partition-main.js <spec.json>`. */
import { readFileSync } from 'node:fs';
import { type PartitionMessage, type PartitionSpec, runPartition } from './partition.js';

const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as PartitionSpec;
const send = (m: PartitionMessage) => process.send?.(m);
runPartition(spec, send).then(
  () => process.disconnect?.(),
  (err: Error) => {
    process.stderr.write(`partition ${spec.index} failed: ${err.stack}\n`);
    process.exit(1);
  },
);
