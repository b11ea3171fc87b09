/**
 * Measuring on a shared, noisy machine: every candidate runs next to its baseline in the same process,
 * in interleaved rounds (the task order rotates each round), and a case is reported as the median of
 * its per-round values and the median of its per-round ratios to the baseline. Load that comes and goes
 * hits both sides of a round alike, so the ratio stays steadier than either value.
 */
import { Bench } from 'tinybench'
import type { Mode } from './types.js'

/** A thing to time. One call of `fn` runs `batch` operations, so that sub-microsecond work outweighs the harness. */
export interface Contender {
  readonly name: string
  readonly fn: () => Promise<unknown>
  readonly batch: number
}

export interface RoundSettings {
  readonly rounds: number
  /** Minimum time per task per round (tinybench `time`). */
  readonly timeMs: number
  /** Minimum iterations per task per round (tinybench `iterations`). */
  readonly iterations: number
  readonly warmupMs: number
}

/** Round settings for fast in-process work, by mode. */
export const roundsFor = (mode: Mode): RoundSettings =>
  mode === 'quick'
    ? { rounds: 5, timeMs: 60, iterations: 10, warmupMs: 20 }
    : { rounds: 21, timeMs: 150, iterations: 20, warmupMs: 40 }

export const median = (values: readonly number[]): number => percentile(values, 50)

/** Nearest-rank percentile of a list of samples. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

const rotate = <T>(items: readonly T[], by: number): T[] => {
  const shift = by % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

/**
 * Times the contenders in `settings.rounds` tinybench rounds and returns, per contender, its mean time per
 * operation (ms) in each round, in round order.
 */
export const interleave = async (
  contenders: readonly Contender[],
  settings: RoundSettings,
): Promise<Map<string, number[]>> => {
  const perRound = new Map<string, number[]>(contenders.map((contender) => [contender.name, []]))
  const batches = new Map(contenders.map((contender) => [contender.name, contender.batch]))
  for (let round = 0; round < settings.rounds; round++) {
    const bench = new Bench({
      time: settings.timeMs,
      iterations: settings.iterations,
      warmupTime: settings.warmupMs,
      throws: true,
    })
    // Declared async: otherwise tinybench calls fn once to find out, without awaiting that call, which
    // overlaps the next one (a concurrency-1 function gets throttled).
    for (const contender of rotate(contenders, round))
      bench.add(contender.name, contender.fn, { async: true })
    await bench.run()
    for (const task of bench.tasks) {
      const result = task.result
      if (result.state !== 'completed') throw new Error(`bench task ${task.name} ended ${result.state}`)
      perRound.get(task.name)?.push(result.latency.mean / (batches.get(task.name) ?? 1))
    }
  }
  return perRound
}

/**
 * Runs measuring functions that each return one sample (e.g. a fresh process's import time), alternating
 * them `rounds` times; returns the samples per name, in round order.
 */
export const alternate = async (
  measures: ReadonlyArray<readonly [string, () => Promise<number>]>,
  rounds: number,
): Promise<Map<string, number[]>> => {
  const samples = new Map<string, number[]>(measures.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, measure] of rotate(measures, round)) samples.get(name)?.push(await measure())
  }
  return samples
}

export interface Comparison {
  readonly value: number
  readonly ratio: number
  readonly spread: readonly [number, number]
  readonly rounds: number
}

/** Median value of the candidate and median of its per-round ratios to the baseline (same rounds). */
export const compare = (candidate: readonly number[], baseline: readonly number[]): Comparison => {
  const ratios = candidate.map((value, round) => value / (baseline[round] as number))
  return {
    value: median(candidate),
    ratio: median(ratios),
    spread: [Math.min(...ratios), Math.max(...ratios)],
    rounds: ratios.length,
  }
}
