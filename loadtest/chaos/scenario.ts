import type { AuditResult } from './audit.js';
import type { KitFleet, KitSpec } from './kits.js';
import type { Probe } from './probe.js';
import type { Topology } from './topology.js';

/** The knobs of a run; each scenario has a short (CI) and a full (the durations of docs/chaos-results.md) set. */
export interface ChaosParams {
  kits: number;
  /** Telemetry messages per second per kit. */
  rate: number;
  warmupS: number;
  /** How long the fault lasts (each phase of a two-phase scenario). */
  faultS: number;
  /** Load kept on after recovery before the kits stop. */
  afterS: number;
  /** Scenario 6: how many kill -9. */
  kills: number;
  /** Scenario 8: the gateway's outbox quota. */
  quotaBytes: number;
  /** CI: short backoffs in kits, relay and cloud (the full runs use the defaults). */
  fast: boolean;
  /** Kits connect from distinct 127.x.y.z addresses, like kits on a LAN. */
  distinctSources: boolean;
  /** Give up waiting for recovery / drain after this long. */
  recoverTimeoutS: number;
}

export const DEFAULT_PARAMS: ChaosParams = {
  kits: 20,
  rate: 1,
  warmupS: 10,
  faultS: 60,
  afterS: 10,
  kills: 20,
  quotaBytes: 256 * 1024,
  fast: false,
  distinctSources: false,
  recoverTimeoutS: 300,
};

/** One fault and its repair; a scenario may have several (phases, repeated kills). */
export interface Episode {
  label: string;
  injectedAt: number;
  healedAt: number;
  /** Set by the scenario when it measures detection itself (e.g. a kill: the gateway stops answering). */
  detectedAt?: number;
  /** Set by the scenario when it waits for recovery itself; otherwise the runner does. */
  recoveredAt?: number;
  /** When the fault's condition ended, if not at `healedAt` (a failover recovers before the dead instance is back). */
  faultEndedAt?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface RunContext {
  topo: Topology;
  fleet: KitFleet;
  probe: Probe;
  params: ChaosParams;
  log: (line: string) => void;
  checks: Check[];
  notes: string[];
  /** Waits until the system has recovered from a fault healed at `healedAt`; returns the time (NaN on timeout). */
  waitRecovered(healedAt: number): Promise<number>;
}

export interface TopologyNeeds {
  clouds?: 1 | 2;
  gatewayArgs?: string[];
  cloudArgs?: string[];
  /** Adjusts each kit (clock, commands). */
  kit?: (spec: KitSpec, index: number) => KitSpec;
}

export interface Scenario {
  n: number;
  name: string;
  title: string;
  short: Partial<ChaosParams>;
  full: Partial<ChaosParams>;
  needs?: (p: ChaosParams) => TopologyNeeds;
  /** The fault gives no signal by design (a kit's wrong clock): detection is not required. */
  silent?: boolean;
  /** Injects the fault(s) under load and repairs them; returns what happened when. */
  run(ctx: RunContext): Promise<Episode[]>;
  /** Extra checks once the kits stopped and the outbox drained (before the loss audit). */
  verify?(ctx: RunContext): Promise<void>;
}

export interface EpisodeResult {
  label: string;
  detectS: number;
  mttrS: number;
  signals: string[];
}

export interface ChaosResult {
  scenario: Scenario;
  params: ChaosParams;
  reduced: boolean;
  mode: 'short' | 'full' | 'custom';
  date: string;
  durationS: number;
  episodes: EpisodeResult[];
  signature: string;
  behaviour: string;
  audit: AuditResult;
  checks: Check[];
  notes: string[];
  load: { start: number; end: number; max: number };
  fleet: KitFleet['totals'];
  ok: boolean;
}
