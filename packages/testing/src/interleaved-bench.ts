import { availableParallelism } from "node:os";

export interface InterleavedBenchOptions {
  /** What is measured, printed with the figures. */
  readonly bench: string;
  readonly rounds: number;
  /** The same work without Loom: the same-run baseline. */
  readonly baseline: () => Promise<unknown>;
  /** The work through Loom. */
  readonly loom: () => Promise<unknown>;
  /** Untimed calls of each first (default 10). */
  readonly warmup?: number;
}

export interface InterleavedBenchResult {
  readonly bench: string;
  readonly rounds: number;
  readonly baselineMedianMs: number;
  readonly loomMedianMs: number;
  readonly ratio: number;
  readonly node: string;
  readonly cpus: number;
}

/**
 * Times `loom` against `baseline`, one call of each per round (interleaved, so a noisy machine
 * moves both alike), after a warm-up; prints and returns the medians (ms) and their ratio.
 */
export async function interleavedBench(options: InterleavedBenchOptions): Promise<InterleavedBenchResult> {
  for (let i = 0; i < (options.warmup ?? 10); i++) {
    await options.baseline();
    await options.loom();
  }
  const time = async (fn: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const baseline: number[] = [];
  const loom: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    baseline.push(await time(options.baseline));
    loom.push(await time(options.loom));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    bench: options.bench,
    rounds: options.rounds,
    baselineMedianMs: Number(median(baseline).toFixed(3)),
    loomMedianMs: Number(median(loom).toFixed(3)),
    ratio: Number((median(loom) / median(baseline)).toFixed(3)),
    node: process.version,
    cpus: availableParallelism(),
  };
  console.log(JSON.stringify(result));
  return result;
}
