/**
 * Case 1, the warm invocation: what each middleware adds to every request of a warm container, against
 * a bare Middy handler and against the Powertools anchor (injectLambdaContext + one logger.info line).
 * Each group runs in its own process (see harness/child.ts), its cases interleaved with their baselines.
 */
import { baselineCase, comparedCase, skippedCase, valueCase } from '../harness/cases.js'
import { inChild } from '../harness/child.js'
import { compare } from '../harness/measure.js'
import type { CaseResult, Mode, Suite, Target } from '../harness/types.js'
import { type Group, type GroupSamples, NAMES } from './warm-groups.js'
import type { LineBytes } from './warm-lines.js'

const GROUPS = new URL('./warm-groups.ts', import.meta.url)
const LINES = new URL('./warm-lines.ts', import.meta.url)
const LINE_TARGET: Target = { on: 'value', op: '<=', limit: 300, text: '<= 300 B' }
const LINE_NAMES = {
  anchor: "bytes per line: the anchor's logger.info",
  schema1: 'bytes per invocation.end line, schema 1 (lambda-lifetime 0.1)',
  schema2: 'bytes per invocation.end line, schema 2',
} as const
const CONTAINER_TARGET: Target = { on: 'ratio', op: '<=', limit: 1.5, text: '<= 1.5x bare middy' }
const LOGGER_TARGET: Target = { on: 'ratio', op: '<=', limit: 1.2, text: '<= 1.2x the Powertools anchor' }

interface Pair {
  readonly name: string
  readonly baseline: string
  readonly target?: Target
  readonly note?: string
}

const PAIRS: Record<Group, { baselines: string[]; pairs: Pair[] }> = {
  container: {
    baselines: [NAMES.bare, NAMES.bareNoTimer],
    pairs: [
      { name: NAMES.container, baseline: NAMES.bare, target: CONTAINER_TARGET },
      {
        name: NAMES.containerNoTimer,
        baseline: NAMES.bareNoTimer,
        target: CONTAINER_TARGET,
        note: "the issue's reference setting (bare ~1.1 µs): the middleware's own cost, undiluted",
      },
      {
        name: NAMES.plugin,
        baseline: NAMES.bare,
        target: CONTAINER_TARGET,
        note: 'the opt-in Middy plugin (@lambda-lifetime/container/middy): no accessor on the request',
      },
      { name: NAMES.pluginNoTimer, baseline: NAMES.bareNoTimer, target: CONTAINER_TARGET },
    ],
  },
  logger: {
    baselines: [],
    pairs: [
      { name: NAMES.anchor, baseline: NAMES.bare },
      { name: NAMES.lifecycle, baseline: NAMES.anchor, target: LOGGER_TARGET },
    ],
  },
  stack: { baselines: [], pairs: [{ name: NAMES.full, baseline: NAMES.anchor }] },
}

const casesOf = (group: Group, samples: GroupSamples): CaseResult[] => {
  const { baselines, pairs } = PAIRS[group]
  if (samples.skipped !== undefined) {
    return pairs.map((pair) => skippedCase({ ...pair, unit: 'µs' }, samples.skipped as string))
  }
  const of = (name: string) => samples.rounds[name] ?? []
  const noteOf = (pair: Pair) => [pair.note, samples.notes[pair.name]].filter(Boolean).join('; ') || undefined
  return [
    ...baselines.map((name) => baselineCase({ name, baseline: null, unit: 'µs', scale: 1000 }, of(name))),
    ...pairs.map((pair) =>
      comparedCase(
        { ...pair, unit: 'µs', scale: 1000, note: noteOf(pair) },
        compare(of(pair.name), of(pair.baseline)),
      ),
    ),
  ]
}

/** Bytes per warm invocation's line, schema 2 against schema 1 (and the anchor's line), in one run. */
const lineCases = (bytes: LineBytes): CaseResult[] => {
  const anchor = valueCase({ name: LINE_NAMES.anchor, baseline: null, unit: 'B' }, bytes.anchor)
  if (bytes.schema1 === undefined || bytes.schema2 === undefined) {
    return [
      anchor,
      skippedCase({ name: LINE_NAMES.schema2, baseline: null, unit: 'B' }, 'no lifecycleLogger yet'),
    ]
  }
  const note =
    'mean of 200 warm invocations through the bench Logger (same context and settings as the anchor)'
  return [
    anchor,
    valueCase({ name: LINE_NAMES.schema1, baseline: null, unit: 'B', note }, bytes.schema1),
    valueCase(
      { name: LINE_NAMES.schema2, baseline: LINE_NAMES.schema1, unit: 'B', target: LINE_TARGET, note },
      bytes.schema2,
      bytes.schema2 / bytes.schema1,
    ),
  ]
}

export const warmSuite: Suite = {
  id: 'warm',
  name: 'warm invocation',
  async run(mode: Mode): Promise<CaseResult[]> {
    const results: CaseResult[] = []
    for (const group of Object.keys(PAIRS) as Group[]) {
      results.push(...casesOf(group, await inChild<GroupSamples>(GROUPS, [group, mode])))
    }
    results.push(...lineCases(await inChild<LineBytes>(LINES, [])))
    return results
  },
}
