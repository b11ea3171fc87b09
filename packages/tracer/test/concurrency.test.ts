/**
 * Managed Instances: interleaved invocations in one runtime, each with its own trace id in the real
 * invoke store, and the segments the X-Ray SDK really sends to a local UDP daemon.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import type { Tracer as TracerClass } from '@aws-lambda-powertools/tracer'
import type { captureLambdaHandler as CaptureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { containerLifetime, type InvocationView } from '@lambda-lifetime/container'
import { containerTracing } from '@lambda-lifetime/tracer'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  resetContainer,
  startManagedInstancesStore,
} from '../../../test/support/container.js'
import { startXrayDaemon, traceHeader, type XrayDaemon } from './xray-daemon.js'

const LAMBDA_ENV = {
  LAMBDA_TASK_ROOT: '/var/task',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  _HANDLER: 'index.handler',
  POWERTOOLS_SERVICE_NAME: 'orders',
}

describe('Managed Instances: 20 traced invocations interleaved inside the invoke store', () => {
  let daemon: XrayDaemon
  let store: InvokeStoreInstance
  let stopStore: () => void
  let Tracer: typeof TracerClass
  let captureLambdaHandler: typeof CaptureLambdaHandler
  const saved = { ...process.env }

  beforeAll(async () => {
    daemon = await startXrayDaemon()
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
    Object.assign(process.env, LAMBDA_ENV, { AWS_XRAY_DAEMON_ADDRESS: daemon.address })
    ;({ Tracer } = await import('@aws-lambda-powertools/tracer'))
    ;({ captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware'))
  })

  afterAll(async () => {
    stopStore()
    await daemon.close()
    for (const key of [...Object.keys(LAMBDA_ENV), 'AWS_XRAY_DAEMON_ADDRESS']) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
  })

  it('puts each invocation’s container annotations on its own handler subsegment', async () => {
    // Prepare
    resetContainer()
    const tracer = new Tracer()
    const handler = middy<{ delay: number }>()
      .use(containerLifetime())
      .use(captureLambdaHandler(tracer, { captureResponse: false }))
      .use(containerTracing({ tracer }))
      .handler(async (event, context) => {
        await sleep(event.delay)
        return context.container as InvocationView
      })
    const traces = Array.from({ length: 20 }, (_, index) => traceHeader(1000 + index))

    // Act
    const views = await Promise.all(
      traces.map(({ header }, index) =>
        store.run(
          {
            [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: `req-${index}`,
            [InvokeStoreBase.PROTECTED_KEYS.X_RAY_TRACE_ID]: header,
          },
          () => handler({ delay: (index * 7) % 11 }, lambdaContext(`req-${index}`)),
        ),
      ),
    )
    await daemon.waitFor(20)

    // Assess
    expect(Math.max(...views.map((view) => view.inFlight))).toBeGreaterThan(1)
    const handlerSegments = daemon.segments.filter((segment) => segment.name === '## index.handler')
    expect(handlerSegments).toHaveLength(20)
    // Matched by the request id in the metadata: the trace id is not a reliable key here, since the
    // X-Ray SDK's one facade segment per process stamps whichever trace id it read last (see Limits).
    const byRequest = new Map(
      handlerSegments.map((segment) => [
        (segment.metadata?.['lambda-lifetime']?.container as InvocationView | undefined)?.requestId,
        segment,
      ]),
    )
    views.forEach((view, index) => {
      expect(byRequest.get(`req-${index}`)?.annotations).toEqual({
        ColdStart: false,
        Service: 'orders',
        container_id: view.containerId,
        invocation: view.invocation,
        start_type: view.startType,
        idle_ms: Math.round(view.idleMs),
      })
    })
  })
})
