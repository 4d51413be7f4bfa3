/**
 * Node flags for a child process the benchmarks and load tests start, from an environment
 * variable: SV_BENCH_GATEWAY_NODE_ARGS for the gateway, SV_BENCH_CLOUD_NODE_ARGS for the cloud
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under load).
 */
export function nodeArgsFrom(name: 'SV_BENCH_GATEWAY_NODE_ARGS' | 'SV_BENCH_CLOUD_NODE_ARGS'): string[] {
  return process.env[name]?.split(' ').filter(Boolean) ?? [];
}
