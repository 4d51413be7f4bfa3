import { performance } from 'node:perf_hooks';
import { goals, runMatrix, summarize } from './matrix.js';
import { writePlots } from './plots.js';
import { markdown, text } from './report.js';
import { measureStepCost } from './step-cost.js';

/**
 * `sousvide bench control`: the matrix for the engine and plain hysteresis, with 5 % and with no
 * missed presses; prints a table (or JSON), writes docs/benchmarks.md (section bench:control) and
 * the plots of docs/control.md. Simulated time only: the figures do not depend on the machine.
 */
export interface ControlBenchIo {
  stdout: NodeJS.WritableStream;
  json: boolean;
  /** Where to write the report section and the plots (null: print only). */
  write: { writeSection: (markdown: string) => void; imgDir: string } | null;
  hours?: number;
}

export async function runControlBench(io: ControlBenchIo): Promise<number> {
  const hours = io.hours ?? 3;
  const targetC = 60;
  const t0 = performance.now();
  const main = runMatrix({ missProb: 0.05, hours, targetC });
  const ideal = runMatrix({ missProb: 0, hours, targetC });
  const elapsedMs = performance.now() - t0;
  const cost = measureStepCost();
  const input = {
    main,
    mainSummary: summarize(main),
    ideal,
    idealSummary: summarize(ideal),
    goals: goals(main, ideal),
    hours,
    targetC,
    elapsedMs,
    cost,
  };
  let plots: string[] = [];
  if (io.write) {
    io.write.writeSection(markdown(input));
    plots = writePlots(io.write.imgDir);
  }
  if (io.json) {
    io.stdout.write(
      `${JSON.stringify({ hours, targetC, elapsedMs, stepCost: cost, summary: input.mainSummary, idealSummary: input.idealSummary, goals: input.goals, cells: main, idealCells: ideal, plots })}\n`,
    );
  } else {
    io.stdout.write(`${text(input)}\n`);
    if (io.write) io.stdout.write(`wrote docs/benchmarks.md (bench:control) and ${plots.length} plots\n`);
  }
  return 0;
}
