/**
 * Real segments: the X-Ray SDK (under Powertools Tracer) in its Lambda mode sends what it records over
 * UDP to AWS_XRAY_DAEMON_ADDRESS, here a local socket; the tests parse what arrives.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Tracer as TracerClass } from '@aws-lambda-powertools/tracer'
import type { captureLambdaHandler as CaptureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { resetWarnings } from '@lambda-lifetime/commons'
import { containerLifetime, type InvocationView } from '@lambda-lifetime/container'
import { containerTracing } from '@lambda-lifetime/tracer'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'
import { type SegmentDocument, startXrayDaemon, traceHeader, type XrayDaemon } from './xray-daemon.js'

const LAMBDA_ENV = {
  LAMBDA_TASK_ROOT: '/var/task',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  _HANDLER: 'index.handler',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  POWERTOOLS_SERVICE_NAME: 'orders',
}

describe('containerTracing: annotations on the segments the X-Ray SDK really sends', () => {
  let daemon: XrayDaemon
  let Tracer: typeof TracerClass
  let captureLambdaHandler: typeof CaptureLambdaHandler
  const saved = { ...process.env }
  let traces = 0

  beforeAll(async () => {
    daemon = await startXrayDaemon()
    // The SDK reads these when it loads (Lambda mode, daemon address), so before the first import.
    Object.assign(process.env, LAMBDA_ENV, { AWS_XRAY_DAEMON_ADDRESS: daemon.address })
    ;({ Tracer } = await import('@aws-lambda-powertools/tracer'))
    ;({ captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware'))
  })

  afterAll(async () => {
    await daemon.close()
    for (const key of [...Object.keys(LAMBDA_ENV), 'AWS_XRAY_DAEMON_ADDRESS', '_X_AMZN_TRACE_ID']) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
  })

  beforeEach(() => {
    resetContainer()
    resetWarnings()
    daemon.segments.length = 0
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  /** Invokes as Lambda does: a fresh trace header in the environment for each invocation. */
  // biome-ignore lint/suspicious/noExplicitAny: any Middy handler, whatever its context type
  const invokeTraced = async <H extends (event: any, context: any) => Promise<unknown>>(
    handler: H,
    id: string,
  ) => {
    const { header, root } = traceHeader(++traces)
    process.env._X_AMZN_TRACE_ID = header
    const result = (await handler({}, lambdaContext(id))) as Awaited<ReturnType<H>>
    return { result, root }
  }

  const inTrace = (root: string, name: string): SegmentDocument[] =>
    daemon.segments.filter((segment) => segment.trace_id === root && segment.name === name)

  it('annotates Powertools’ handler subsegment with the container, and marks the thaw', async () => {
    // Prepare
    const tracer = new Tracer()
    const handler = middy()
      .use(containerLifetime())
      .use(captureLambdaHandler(tracer))
      .use(containerTracing({ tracer, thawMinMs: 50 }))
      .handler(async (_event: unknown, context) => context.container as InvocationView)

    // Act
    const cold = await invokeTraced(handler, 'r1')
    const warm = await invokeTraced(handler, 'r2')
    await sleep(120) // the container sleeps between invocations
    const thawed = await invokeTraced(handler, 'r3')
    await daemon.waitFor(4) // three handler subsegments, one thaw

    // Assess
    const [coldSegment] = inTrace(cold.root, '## index.handler')
    expect(coldSegment?.annotations).toEqual({
      ColdStart: true,
      Service: 'orders',
      container_id: cold.result.containerId,
      invocation: 1,
      start_type: 'cold',
      idle_ms: 0,
    })
    expect(coldSegment?.metadata?.['lambda-lifetime']?.container).toEqual(
      JSON.parse(JSON.stringify(cold.result)),
    )
    expect(inTrace(warm.root, '## index.handler')[0]?.annotations).toMatchObject({
      invocation: 2,
      start_type: 'warm',
    })
    expect(inTrace(warm.root, '## container.thaw')).toEqual([])
    const [thaw] = inTrace(thawed.root, '## container.thaw')
    const [thawedHandler] = inTrace(thawed.root, '## index.handler')
    expect(thawed.result.idleMs).toBeGreaterThanOrEqual(100)
    expect(thawedHandler?.annotations).toMatchObject({
      invocation: 3,
      idle_ms: Math.round(thawed.result.idleMs),
    })
    expect(thaw?.annotations).toEqual({ idle_ms: Math.round(thawed.result.idleMs) })
    expect(thaw?.parent_id).toBe(thawedHandler?.id)
    const slept = (thaw?.end_time ?? 0) - (thaw?.start_time ?? 0)
    expect(slept).toBeCloseTo(thawed.result.idleMs / 1000, 1)
  })

  it('carries the annotations on a subsegment of its own when no handler subsegment is open', async () => {
    // Prepare
    const tracer = new Tracer()
    const handler = middy()
      .use(containerLifetime())
      .use(containerTracing({ tracer, thawMinMs: false }))
      .handler(async (_event: unknown, context) => context.container as InvocationView)

    // Act
    const first = await invokeTraced(handler, 'r1')
    await daemon.waitFor(1)

    // Assess
    const [own] = inTrace(first.root, '## container')
    expect(own?.annotations).toEqual({
      container_id: first.result.containerId,
      invocation: 1,
      start_type: 'cold',
      idle_ms: 0,
    })
    expect(own?.parent_id).toBe(traceHeader(traces).header.split('Parent=')[1]?.split(';')[0])
  })

  it('sends nothing while tracing is disabled', async () => {
    // Prepare
    const disabled = new Tracer({ enabled: false })
    const enabled = new Tracer()
    const chain = (tracer: TracerClass) =>
      middy()
        .use(containerLifetime())
        .use(containerTracing({ tracer }))
        .handler(async () => 'ok')
    const quiet = chain(disabled)
    const loud = chain(enabled)

    // Act: the disabled invocation first; the enabled one's segment marks the end of what was sent
    const skipped = await invokeTraced(quiet, 'r1')
    const sent = await invokeTraced(loud, 'r2')
    await daemon.waitFor(1)

    // Assess
    expect(skipped.result).toBe('ok')
    expect(daemon.segments.map((segment) => segment.trace_id)).toEqual([sent.root])
  })

  it('warns once, and annotates nothing, without containerLifetime() in the chain', async () => {
    // Prepare
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined)
    const handler = middy()
      .use(containerTracing({ tracer: new Tracer() }))
      .handler(async () => 'ok')

    // Act
    await invokeTraced(handler, 'r1')
    await invokeTraced(handler, 'r2')

    // Assess
    expect(emitWarning.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining('found no context.container'),
    ])
  })
})
