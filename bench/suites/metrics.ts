/**
 * The metrics middleware's cost: a warm invocation with one business metric, flushed by Powertools'
 * own logMetrics (the anchor) or by containerLifetime() + containerMetrics() (which also publishes the
 * container's age and idle time), all writing EMF through the same Console into the same null sink.
 * Runs in a child process of its own: containerMetrics subscribes to the container's process-wide bus.
 * Usage of the child entry (by this suite only): `metrics.ts measure <group> <mode>`.
 */
import { Console } from 'node:console'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { comparedCase, loadExport, skippedCase } from '../harness/cases.js'
import { answerParent, inChild } from '../harness/child.js'
import { invokeMany, NullSink } from '../harness/lambda.js'
import { compare, interleave, roundsFor } from '../harness/measure.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const BATCH = 100

const NAMES = {
  anchor: 'middy + Powertools logMetrics + 1 metric',
  containerAnchor: 'middy + containerLifetime() + logMetrics + 1 metric',
  ours: 'middy + containerLifetime() + containerMetrics() + 1 metric',
  sampled: 'middy + containerLifetime() + containerMetrics({ sampleFirst: 0, sampleEvery: 10 }) + 1 metric',
} as const

interface Samples {
  readonly rounds: Record<string, number[]>
  readonly notes: Record<string, string>
  readonly skipped?: string
}

type Handler = (event: unknown, context: never) => Promise<unknown>
// biome-ignore lint/suspicious/noExplicitAny: the middleware of a package that may not be built yet
type AnyMiddleware = any

/** A Metrics instance whose EMF goes through its usual serialisation and a Console, into the sink. */
const quietMetrics = (sink: NullSink): Metrics => {
  const sinkConsole = new Console({ stdout: sink, stderr: sink })
  const metrics = new Metrics({ namespace: 'bench', serviceName: 'bench', logger: sinkConsole })
  ;(metrics as unknown as { console: Console }).console = sinkConsole
  return metrics
}

const handlerOf = (metrics: Metrics, middlewares: AnyMiddleware[]): Handler => {
  let chain = middy(async () => {
    metrics.addMetric('OrderPlaced', MetricUnit.Count, 1)
    return { statusCode: 200 }
  })
  for (const middleware of middlewares) chain = chain.use(middleware)
  return chain as unknown as Handler
}

/** Documents and bytes per warm invocation: a check that the timed path really publishes. */
const outputPerInvocation = async (handler: Handler, sink: NullSink): Promise<string> => {
  await invokeMany(handler, 10)()
  const [lines, bytes] = [sink.lines, sink.bytes]
  await invokeMany(handler, 100)()
  return `${(sink.lines - lines) / 100} EMF document(s), ${Math.round((sink.bytes - bytes) / 100)} B per warm invocation`
}

/**
 * Two groups, each in its own process with its own anchor: once containerMetrics() exists in a process it
 * publishes every containerLifetime() invocation there, so the container-only case cannot share it.
 */
type Group = 'container' | 'metrics' | 'sampled'

const measure = async (group: Group, mode: Mode): Promise<Samples> => {
  const containerMetrics = await loadExport<(options: object) => AnyMiddleware>(
    '@lambda-lifetime/metrics',
    'containerMetrics',
  )
  if (containerMetrics === undefined) return { rounds: {}, notes: {}, skipped: 'no containerMetrics yet' }
  const sink = new NullSink()
  const anchorMetrics = quietMetrics(sink)
  const metrics = quietMetrics(sink)
  const handlers = new Map<string, Handler>([
    [NAMES.anchor, handlerOf(anchorMetrics, [logMetrics(anchorMetrics)])],
  ])
  if (group === 'container')
    handlers.set(NAMES.containerAnchor, handlerOf(metrics, [containerLifetime(), logMetrics(metrics)]))
  else if (group === 'metrics')
    handlers.set(NAMES.ours, handlerOf(metrics, [containerLifetime(), containerMetrics({ metrics })]))
  else {
    const sampled = containerMetrics({ metrics, sampleFirst: 0, sampleEvery: 10 })
    handlers.set(NAMES.sampled, handlerOf(metrics, [containerLifetime(), sampled]))
  }
  const notes: Record<string, string> = {}
  for (const [name, handler] of handlers) notes[name] = await outputPerInvocation(handler, sink)
  const contenders = [...handlers].map(([name, handler]) => ({
    name,
    fn: invokeMany(handler, BATCH),
    batch: BATCH,
  }))
  const rounds = await interleave(contenders, roundsFor(mode))
  return { rounds: Object.fromEntries(rounds), notes }
}

const PAIRS = [
  { group: 'container', name: NAMES.containerAnchor, baseline: NAMES.anchor },
  { group: 'metrics', name: NAMES.ours, baseline: NAMES.anchor },
  { group: 'sampled', name: NAMES.sampled, baseline: NAMES.anchor },
] as const

export const metricsSuite: Suite = {
  id: 'metrics',
  name: 'metrics middleware against Powertools Metrics alone',
  async run(mode: Mode): Promise<CaseResult[]> {
    const results: CaseResult[] = []
    for (const pair of PAIRS) {
      const samples = await inChild<Samples>(new URL(import.meta.url), ['measure', pair.group, mode])
      const spec = { name: pair.name, baseline: pair.baseline, unit: 'µs', scale: 1000 }
      if (samples.skipped !== undefined) {
        results.push(skippedCase(spec, samples.skipped))
        continue
      }
      const of = (name: string) => samples.rounds[name] ?? []
      const note = `${samples.notes[pair.name]}; anchor: ${samples.notes[pair.baseline]}`
      results.push(comparedCase({ ...spec, note }, compare(of(pair.name), of(pair.baseline))))
    }
    return results
  },
}

if (process.send !== undefined && process.argv[2] === 'measure') {
  await answerParent(() => measure(process.argv[3] as Group, process.argv[4] as Mode))
}
