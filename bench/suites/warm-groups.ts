/**
 * Child entry of the warm-invocation suite: builds the handlers of one group, times them in interleaved
 * rounds and sends the samples (ms per invocation, per round) and notes back to warm.ts.
 * Usage (by warm.ts only): `warm-groups.ts <group> <mode>`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { containerLifetime } from '@lambda-lifetime/container'
import { containerLifetimePlugin } from '@lambda-lifetime/container/middy'
import middy from '@middy/core'
import { loadExport } from '../harness/cases.js'
import { answerParent } from '../harness/child.js'
import { invokeMany, NullSink, quietLogger } from '../harness/lambda.js'
import { type Contender, interleave, roundsFor } from '../harness/measure.js'
import type { Mode } from '../harness/types.js'
import { fullStackMiddlewares } from './stack.js'

/** Invocations per tinybench iteration: one invocation (~1 µs) is too close to the harness's own cost. */
const BATCH = 100

export const NAMES = {
  bare: 'bare middy',
  container: 'middy + containerLifetime()',
  bareNoTimer: 'bare middy, no early-timeout timer',
  containerNoTimer: 'middy + containerLifetime(), no early-timeout timer',
  plugin: 'middy + containerLifetime() with containerLifetimePlugin()',
  pluginNoTimer: 'middy + containerLifetime() with containerLifetimePlugin(), no early-timeout timer',
  anchor: 'middy + Powertools injectLambdaContext + 1 logger.info',
  lifecycle: 'middy + containerLifetime() + lifecycleLogger (1 invocation.end line)',
  full: 'middy + full stack (container, logger, warmPool, circuitBreaker)',
} as const

export type Group = 'container' | 'logger' | 'stack'

export interface GroupSamples {
  readonly rounds: Record<string, number[]>
  readonly notes: Record<string, string>
  /** Set when the group could not be built (a package that has not landed). */
  readonly skipped?: string
}

type Handler = (event: unknown, context: never) => Promise<unknown>
// biome-ignore lint/suspicious/noExplicitAny: middlewares of every package, typed by their own packages
type AnyMiddleware = any

const respond = async () => ({ statusCode: 200, body: '{"ok":true}' })

/**
 * With a real Lambda context Middy arms an early-timeout timer per invocation (AbortController +
 * setTimeout, ~2.5 µs); `timeoutEarlyInMillis: 0` turns it off, which isolates the middleware's own cost.
 */
const NO_TIMER = { timeoutEarlyInMillis: 0 }

const withMiddlewares = (
  middlewares: AnyMiddleware[],
  // biome-ignore lint/suspicious/noExplicitAny: each case's handler reads its own middlewares' context
  handler: (event: unknown, context: any) => Promise<unknown> = respond,
  options = {},
): Handler => {
  let chain = middy(handler, options)
  for (const middleware of middlewares) chain = chain.use(middleware)
  return chain as unknown as Handler
}

/** Lines a handler writes per warm invocation: a sanity check that the timed path really logs. */
const linesPerInvocation = async (handler: Handler, sink: NullSink): Promise<string> => {
  await invokeMany(handler, 10)()
  const [lines, bytes] = [sink.lines, sink.bytes]
  await invokeMany(handler, 100)()
  const perLine = Math.round((sink.bytes - bytes) / Math.max(1, sink.lines - lines))
  return `${(sink.lines - lines) / 100} line(s) per warm invocation, ${perLine} B per line`
}

const anchorHandler = (sink: NullSink): Handler => {
  const logger = quietLogger(sink)
  return middy(async () => {
    logger.info('handled')
    return respond()
  }).use(injectLambdaContext(logger)) as unknown as Handler
}

/** The handlers of a group, with notes, or why the group cannot run yet. */
const buildGroup = async (
  group: Group,
  sink: NullSink,
): Promise<{ handlers: Map<string, Handler>; notes: Record<string, string> } | string> => {
  const notes: Record<string, string> = {}
  switch (group) {
    case 'container':
      return {
        handlers: new Map([
          [NAMES.bare, withMiddlewares([])],
          [NAMES.container, withMiddlewares([containerLifetime()])],
          [NAMES.bareNoTimer, withMiddlewares([], respond, NO_TIMER)],
          [NAMES.containerNoTimer, withMiddlewares([containerLifetime()], respond, NO_TIMER)],
          [NAMES.plugin, withMiddlewares([containerLifetime()], respond, containerLifetimePlugin())],
          [
            NAMES.pluginNoTimer,
            withMiddlewares([containerLifetime()], respond, containerLifetimePlugin(NO_TIMER)),
          ],
        ]),
        notes,
      }
    case 'logger': {
      const lifecycleLogger = await loadExport<(options: object) => AnyMiddleware>(
        '@lambda-lifetime/logger',
        'lifecycleLogger',
      )
      if (lifecycleLogger === undefined) return 'no lifecycleLogger yet'
      const anchor = anchorHandler(sink)
      const ours = withMiddlewares([containerLifetime(), lifecycleLogger({ logger: quietLogger(sink) })])
      notes[NAMES.anchor] = await linesPerInvocation(anchor, sink)
      notes[NAMES.lifecycle] = await linesPerInvocation(ours, sink)
      return {
        handlers: new Map([
          [NAMES.bare, withMiddlewares([])],
          [NAMES.anchor, anchor],
          [NAMES.lifecycle, ours],
        ]),
        notes,
      }
    }
    case 'stack': {
      const stack = await fullStackMiddlewares(quietLogger(sink))
      if (typeof stack === 'string') return stack
      const anchor = anchorHandler(sink)
      const full = withMiddlewares(stack.middlewares, stack.handler)
      notes[NAMES.full] = `${await linesPerInvocation(full, sink)}; ${stack.note}`
      return {
        handlers: new Map([
          [NAMES.anchor, anchor],
          [NAMES.full, full],
        ]),
        notes,
      }
    }
  }
}

const measureGroup = async (group: Group, mode: Mode): Promise<GroupSamples> => {
  const sink = new NullSink()
  const built = await buildGroup(group, sink)
  if (typeof built === 'string') return { rounds: {}, notes: {}, skipped: built }
  const contenders: Contender[] = [...built.handlers].map(([name, handler]) => ({
    name,
    fn: invokeMany(handler, BATCH),
    batch: BATCH,
  }))
  const rounds = await interleave(contenders, roundsFor(mode))
  return { rounds: Object.fromEntries(rounds), notes: built.notes }
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  await answerParent(() => measureGroup(process.argv[2] as Group, process.argv[3] as Mode))
}
