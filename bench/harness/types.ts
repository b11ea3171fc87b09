/** The shapes `bench/results.json` is made of, and what every suite hands back to the runner. */

/** How long a suite may take: `quick` keeps the whole run under a minute. */
export type Mode = 'quick' | 'full'

/** A target a case must meet: on its ratio to the baseline, or on its own value. */
export interface Target {
  readonly on: 'ratio' | 'value'
  readonly op: '<=' | '<' | '>='
  readonly limit: number
  /** How the target reads in bench/README.md, e.g. "<= 1.5x bare middy". */
  readonly text: string
}

/** One line of results.json. `value` is time per operation (lower is better) wherever a case times one. */
export interface CaseResult {
  readonly name: string
  readonly baseline: string | null
  readonly value: number | null
  readonly unit: string
  /** This case's value over its baseline's, both from this run (1.36 = 36% slower, 0.1 = ten times faster). */
  readonly ratio: number | null
  readonly target: string | null
  /** null when the case has no target or was skipped. */
  readonly pass: boolean | null
  /** Spread over the interleaved rounds: [min, max] of the per-round ratios (or values without a baseline). */
  readonly spread?: readonly [number, number]
  readonly rounds?: number
  readonly note?: string
}

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly loadAverageAtStart: readonly [number, number, number]
  readonly loadAverageAtEnd?: readonly [number, number, number]
  readonly platform: string
  readonly totalMemoryMB: number
}

export interface Results {
  readonly node: string
  readonly date: string
  readonly mode: Mode
  readonly machine: Machine
  readonly durationS: number
  readonly cases: readonly CaseResult[]
}

/** A group of cases measured together; `run` returns them in the order they print. */
export interface Suite {
  /** What `--only=<id>` selects: warm, cold, pool, breaker, emulator, report. */
  readonly id: string
  /** A second name `--only=` accepts, shared by suites measured together (e.g. `fleet`). */
  readonly group?: string
  readonly name: string
  run(mode: Mode): Promise<CaseResult[]>
}
