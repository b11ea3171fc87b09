/**
 * Child entry of the warm-invocation suite for the size of the `invocation.end` line: the bytes a warm
 * invocation's line takes through a real Powertools Logger, in schema 2 (what lifecycleLogger writes
 * today) and in schema 1 (what lambda-lifetime 0.1 wrote, rebuilt below from its key list), next to the
 * anchor's one line. Same Logger settings, same Lambda context, same run.
 * Usage (by warm.ts only): `warm-lines.ts`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { containerLifetime, type InvocationView } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { loadExport } from '../harness/cases.js'
import { answerParent } from '../harness/child.js'
import { apiEvent, lambdaContext, NullSink, quietLogger } from '../harness/lambda.js'

/** Warm invocations measured per writer (after a cold one, left out). */
const INVOCATIONS = 200

export interface LineBytes {
  /** Mean bytes of a warm invocation's line, per writer; undefined when the logger has not landed. */
  readonly schema2?: number
  readonly schema1?: number
  readonly anchor: number
}

type Handler = (event: unknown, context: never) => Promise<{ view?: InvocationView }>

const round = (bytes: number): number => Math.round(bytes * 10) / 10

/** Bytes per line a sink took while `invoke` ran `INVOCATIONS` times. */
const measure = async (sink: NullSink, invoke: () => Promise<unknown>): Promise<number> => {
  const [lines, bytes] = [sink.lines, sink.bytes]
  for (let i = 0; i < INVOCATIONS; i++) await invoke()
  return round((sink.bytes - bytes) / Math.max(1, sink.lines - lines))
}

const roundMs = (ms: number): number => Math.round(ms * 100) / 100

/**
 * The schema 1 `invocation.end` line of one warm invocation, as lambda-lifetime 0.1 wrote it: its
 * persistent keys (the container's and the invocation's, on every line) and its own.
 */
const writeSchema1Line = (sink: NullSink, view: InvocationView, durationMs: number): void => {
  const logger = quietLogger(sink)
  logger.addContext(lambdaContext() as never)
  const invocationKeys = {
    invocation: view.invocation,
    cold_start: view.coldStart,
    start_type: view.startType,
    idle_ms: roundMs(view.idleMs),
    container_age_ms: roundMs(view.ageMs + durationMs),
  }
  logger.appendPersistentKeys({
    container_id: view.containerId,
    environment_id: view.environmentId,
    worker_id: null,
    ...invocationKeys,
  })
  logger.info('invocation.end', {
    event: 'invocation.end',
    lifecycle_schema: 1,
    ...invocationKeys,
    duration_ms: roundMs(durationMs),
    outcome: 'success',
    status_code: 200,
  })
}

const measureLines = async (): Promise<LineBytes> => {
  const anchorSink = new NullSink()
  const anchorLogger = quietLogger(anchorSink)
  const anchor = middy(async () => {
    anchorLogger.info('handled')
    return { statusCode: 200, body: '{"ok":true}' }
  }).use(injectLambdaContext(anchorLogger)) as unknown as Handler
  await anchor(apiEvent(), lambdaContext() as never)
  const anchorBytes = await measure(anchorSink, () => anchor(apiEvent(), lambdaContext() as never))

  const lifecycleLogger = await loadExport<(options: object) => unknown>(
    '@lambda-lifetime/logger',
    'lifecycleLogger',
  )
  if (lifecycleLogger === undefined) return { anchor: anchorBytes }
  const sink = new NullSink()
  const ours = middy(async (_event: unknown, context: { container: InvocationView }) => ({
    statusCode: 200,
    body: '{"ok":true}',
    view: context.container,
  }))
    .use(containerLifetime())
    .use(lifecycleLogger({ logger: quietLogger(sink) }) as never) as unknown as Handler
  // The cold invocation writes container.start too: left out, as warm invocations are the many.
  await ours(apiEvent(), lambdaContext() as never)
  let last: InvocationView | undefined
  const schema2 = await measure(sink, async () => {
    last = (await ours(apiEvent(), lambdaContext() as never)).view
  })
  const v1Sink = new NullSink()
  const view = last as InvocationView
  const schema1 = await measure(v1Sink, async () => writeSchema1Line(v1Sink, view, 0.12))
  return { schema2, schema1, anchor: anchorBytes }
}

if (process.send !== undefined) await answerParent(measureLines)
