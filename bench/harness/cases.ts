/** Turning measurements into result lines, and judging them against their targets. */
import { type Comparison, median } from './measure.js'
import type { CaseResult, Target } from './types.js'

const significant = (value: number, digits = 4): number => Number(value.toPrecision(digits))

const meets = (target: Target, measured: number): boolean => {
  switch (target.op) {
    case '<=':
      return measured <= target.limit
    case '<':
      return measured < target.limit
    case '>=':
      return measured >= target.limit
  }
}

export interface CaseSpec {
  readonly name: string
  readonly baseline: string | null
  readonly unit: string
  /** Multiplies the measured value into `unit` (e.g. 1000 for ms measured, µs reported). */
  readonly scale?: number
  readonly target?: Target
  readonly note?: string
}

/** A case measured against its baseline in the same rounds. */
export const comparedCase = (spec: CaseSpec, comparison: Comparison): CaseResult => {
  const value = comparison.value * (spec.scale ?? 1)
  const target = spec.target
  const judged = target === undefined ? null : meets(target, target.on === 'ratio' ? comparison.ratio : value)
  return {
    name: spec.name,
    baseline: spec.baseline,
    value: significant(value),
    unit: spec.unit,
    ratio: significant(comparison.ratio, 3),
    target: target?.text ?? null,
    pass: judged,
    spread: [significant(comparison.spread[0], 3), significant(comparison.spread[1], 3)],
    rounds: comparison.rounds,
    ...(spec.note === undefined ? {} : { note: spec.note }),
  }
}

/** A baseline's own line: the median of its per-round values. */
export const baselineCase = (spec: CaseSpec, samples: readonly number[]): CaseResult => ({
  ...valueCase(spec, median(samples)),
  rounds: samples.length,
})

/** A case with a single value (a baseline itself, or a count), its ratio given when it has a baseline. */
export const valueCase = (spec: CaseSpec, value: number, ratio: number | null = null): CaseResult => {
  const scaled = value * (spec.scale ?? 1)
  const target = spec.target
  const measured = target?.on === 'ratio' ? ratio : scaled
  return {
    name: spec.name,
    baseline: spec.baseline,
    value: significant(scaled),
    unit: spec.unit,
    ratio: ratio === null ? null : significant(ratio, 3),
    target: target?.text ?? null,
    pass: target === undefined || measured === null ? null : meets(target, measured),
    ...(spec.note === undefined ? {} : { note: spec.note }),
  }
}

/** A case that could not run here (its package has not landed, or a server could not start). */
export const skippedCase = (spec: CaseSpec, reason: string): CaseResult => ({
  name: spec.name,
  baseline: spec.baseline,
  value: null,
  unit: spec.unit,
  ratio: null,
  target: spec.target?.text ?? null,
  pass: null,
  note: `skipped: ${reason}`,
})

/** Imports a workspace package's built entry; undefined when it does not export `name` yet. */
export const loadExport = async <T>(pkg: string, name: string): Promise<T | undefined> => {
  const module = (await import(pkg)) as Record<string, unknown>
  return module[name] as T | undefined
}
