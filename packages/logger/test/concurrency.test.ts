import { setTimeout as sleep } from 'node:timers/promises'
import { InvokeStoreBase } from '@aws/lambda-invoke-store'
import { Logger } from '@aws-lambda-powertools/logger'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, type InvocationView } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import {
  type InvokeStoreInstance,
  lambdaContext,
  resetContainer,
  startManagedInstancesStore,
} from '../../../test/support/container.js'
import { captureLines, forgetLifecycleLoggers, type Line, linesOf, userLines } from './capture.js'

describe('Managed Instances: 50 invocations interleaved inside the invoke store', () => {
  let store: InvokeStoreInstance
  let lines: Line[]

  let stopStore: () => void

  beforeAll(async () => {
    ;({ store, stop: stopStore } = await startManagedInstancesStore())
  })

  afterAll(() => stopStore())

  beforeEach(() => {
    resetContainer()
    forgetLifecycleLoggers()
    lines = captureLines()
  })

  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('never puts one invocation’s request id or number on another’s line', async () => {
    // Prepare
    const logger = new Logger({ serviceName: 'orders' })
    const handler = middy<{ delay: number }>()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger }))
      .handler(async (event, context) => {
        logger.info('received')
        await sleep(event.delay)
        logger.info('halfway', { step: 2 })
        await sleep(event.delay % 3)
        logger.warn('done')
        return context.container as InvocationView
      })
    const ids = Array.from({ length: 50 }, (_, index) => `req-${index}`)

    // Act
    const views = await Promise.all(
      ids.map((id, index) =>
        store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: id }, () =>
          handler({ delay: (index * 7) % 11 }, lambdaContext(id)),
        ),
      ),
    )

    // Assess
    const invocationOf = new Map(views.map((view) => [view.requestId, view.invocation]))
    expect(new Set(invocationOf.values()).size).toBe(50)
    const user = userLines(lines)
    const ends = linesOf(lines, 'invocation.end')
    expect(user).toHaveLength(150)
    expect(ends).toHaveLength(50)
    for (const line of [...user, ...ends]) {
      expect(line.invocation).toBe(invocationOf.get(line.function_request_id as string))
      expect(line.container_id).toBe(views[0]?.containerId)
    }
    for (const line of user) expect(line.cold_start).toBe(false)
    // The worker is a constant fact of the runtime: on its container.start line only
    expect(linesOf(lines, 'container.start')).toEqual([
      expect.objectContaining({ worker_id: views[0]?.workerId, container_id: views[0]?.containerId }),
    ])
    // The lines really interleaved: the first invocation did not finish before the last one started.
    const order = user.map((line) => line.function_request_id)
    expect(order.lastIndexOf('req-0')).toBeGreaterThan(order.indexOf('req-49'))
  })
})
