import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { containerLifetime, emitLifecycle, type InvocationView } from '@lambda-lifetime/container'
import { containerMetrics } from '@lambda-lifetime/metrics'
import middy from '@middy/core'
import { deliverSigterm, lambdaContext, resetContainer } from '../../../test/support/container.js'
import { captureEmf, type EmfDocument, emfProblems, holding, metricNames, total } from './emf.js'

type Options = Omit<Parameters<typeof containerMetrics>[0], 'metrics'>

const newMetrics = (): Metrics => new Metrics({ namespace: 'shop', serviceName: 'orders' })

/** A handler as users write it: one business metric per invocation, flushed by containerMetrics. */
const handlerWith = (metrics: Metrics, options: Options = {}) =>
  middy<{ fail?: boolean }>()
    .use(containerLifetime())
    .use(containerMetrics({ metrics, ...options }))
    .handler(async (event, context) => {
      metrics.addMetric('OrderPlaced', MetricUnit.Count, 1)
      if (event.fail) throw new Error('payment declined')
      return context.container as InvocationView
    })

describe('containerMetrics: EMF about the container, from real Middy invocations', () => {
  let documents: EmfDocument[]

  beforeEach(() => {
    resetContainer()
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE
    documents = captureEmf()
  })

  afterEach(() => {
    jest.restoreAllMocks()
    // Every document any test printed is a valid EMF document.
    for (const document of documents) expect(emfProblems(document)).toEqual([])
  })

  it('counts one cold start by start type, and records age and idle time on each invocation', async () => {
    // Prepare
    const handler = handlerWith(newMetrics())

    // Act
    const views = [] as InvocationView[]
    for (const id of ['r1', 'r2', 'r3']) views.push(await handler({}, lambdaContext(id)))

    // Assess
    expect(views.map((view) => view.startType)).toEqual(['cold', 'warm', 'warm'])
    const [start, ...otherStarts] = holding(documents, 'ContainerStart')
    expect(otherStarts).toEqual([])
    expect(start).toMatchObject({
      ContainerStart: 1,
      start_type: 'cold',
      function_name: 'test-function',
      service: 'orders',
      container_id: views[0]?.containerId,
    })
    expect(start?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'function_name', 'start_type']])
    expect(holding(documents, 'ContainerAge').map((document) => document.invocation)).toEqual([1, 2, 3])
    expect(holding(documents, 'IdleTime').map((document) => document.IdleTime)).toEqual([
      Math.round(views[1]?.idleMs ?? -1),
      Math.round(views[2]?.idleMs ?? -1),
    ])
    const age = holding(documents, 'ContainerAge')[2]
    expect(age?.ContainerAge).toBe(Math.round(views[2]?.ageMs ?? -1))
    // Low cardinality: the container id is a property, never a dimension; start_type only on ContainerStart.
    expect(age?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'function_name']])
    expect(age?.container_id).toBe(views[0]?.containerId)
    expect(total(documents, 'OrderPlaced')).toBe(3)
    expect(documents.filter((document) => 'OrderPlaced' in document && 'ContainerAge' in document)).toEqual(
      [],
    )
  })

  it('counts a provisioned runtime’s first invocation as pre-initialized, where Powertools says no cold start', async () => {
    // Prepare
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'provisioned-concurrency'
    const metrics = newMetrics()
    const handler = handlerWith(metrics)

    // Act
    await handler({}, lambdaContext('r1'))
    await handler({}, lambdaContext('r2'))

    // Assess
    expect(holding(documents, 'ContainerStart')).toEqual([
      expect.objectContaining({ start_type: 'pre-initialized', ContainerStart: 1 }),
    ])
    expect((metrics as unknown as { getColdStart(): boolean }).getColdStart()).toBe(false)
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE
  })

  it('publishes once per invocation on every path: error, early return from a later middleware', async () => {
    // Prepare
    const metrics = newMetrics()
    const earlyReturn = { before: () => ({ statusCode: 204 }) }
    const early = middy()
      .use(containerLifetime())
      .use(containerMetrics({ metrics }))
      .use(earlyReturn)
      .handler(async () => ({ statusCode: 200 }))
    const failing = handlerWith(metrics)

    // Act
    await early({}, lambdaContext('r1'))
    await expect(failing({ fail: true }, lambdaContext('r2'))).rejects.toThrow('payment declined')

    // Assess
    expect(holding(documents, 'ContainerAge').map((document) => document.invocation)).toEqual([1, 2])
    expect(holding(documents, 'OrderPlaced')).toHaveLength(1)
  })

  it('publishes even when a middleware before it returned early (containerLifetime first, the rest skipped)', async () => {
    // Prepare
    const metrics = newMetrics()
    const handler = middy()
      .use(containerLifetime())
      .use({ before: () => 'warmup' })
      .use(containerMetrics({ metrics }))
      .handler(async () => 'handled')

    // Act
    const result = await handler({}, lambdaContext('r1'))

    // Assess
    expect(result).toBe('warmup')
    expect(holding(documents, 'ContainerAge')).toHaveLength(1)
    expect(holding(documents, 'ContainerStart')).toHaveLength(1)
  })

  it('samples age and idle per container (first N, then 1 in M) while counts stay exact', async () => {
    // Prepare
    const handler = handlerWith(newMetrics(), { sampleFirst: 2, sampleEvery: 3, invocationsEvery: 4 })

    // Act
    for (let index = 1; index <= 10; index++) await handler({}, lambdaContext(`r${index}`))

    // Assess
    expect(holding(documents, 'ContainerAge').map((document) => document.invocation)).toEqual([1, 2, 5, 8])
    expect(
      holding(documents, 'ContainerInvocations').map((document) => document.ContainerInvocations),
    ).toEqual([4, 4])
    expect(total(documents, 'ContainerStart')).toBe(1)
    expect(total(documents, 'OrderPlaced')).toBe(10)
  })

  it('publishes the invocations of a container once, at shutdown', async () => {
    // Prepare
    const handler = handlerWith(newMetrics())
    for (let index = 1; index <= 5; index++) await handler({}, lambdaContext(`r${index}`))
    expect(holding(documents, 'ContainerInvocations')).toEqual([])

    // Act
    await deliverSigterm()

    // Assess
    const [shutdown, ...others] = holding(documents, 'ContainerInvocations')
    expect(others).toEqual([])
    expect(shutdown).toMatchObject({ ContainerInvocations: 5, function_name: 'test-function' })
    expect(shutdown?.container_id).toEqual(expect.any(String))
  })

  it('publishes at shutdown what happened since the last invocation, and nothing when there is nothing', async () => {
    // Prepare
    const handler = handlerWith(newMetrics(), { invocationsEvery: 2 })
    await handler({}, lambdaContext('r1'))
    await handler({}, lambdaContext('r2'))
    emitLifecycle({
      type: 'breaker.close',
      at: Date.now(),
      breaker: 'payments',
      failures: 0,
      successes: 1,
      rejects: 0,
      timeouts: 0,
      source: 'local',
    })
    const published = documents.length

    // Act
    await deliverSigterm()

    // Assess
    const shutdown = documents.slice(published)
    expect(shutdown).toEqual([expect.objectContaining({ BreakerClose: 1, function_name: 'test-function' })])
    expect(shutdown[0]?.ContainerInvocations).toBeUndefined()
    expect(total(documents, 'ContainerInvocations')).toBe(2)
  })

  it('writes nothing at shutdown when every count is already out', async () => {
    // Prepare
    const handler = handlerWith(newMetrics(), { invocationsEvery: 1 })
    await handler({}, lambdaContext('r1'))
    const published = documents.length

    // Act
    await deliverSigterm()

    // Assess
    expect(documents.length).toBe(published)
  })

  it('takes the function name from the context, else from AWS_LAMBDA_FUNCTION_NAME, else leaves it out', async () => {
    // Prepare
    const metrics = newMetrics()
    const handler = middy()
      .use(containerLifetime())
      .use(containerMetrics({ metrics }))
      .handler(async () => 'ok')

    // Act
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'orders-fn'
    await handler({}, { ...lambdaContext('r1'), functionName: '' })
    delete process.env.AWS_LAMBDA_FUNCTION_NAME
    await handler({}, { ...lambdaContext('r2'), functionName: undefined })

    // Assess
    const [first, second] = holding(documents, 'ContainerAge')
    expect(first?.function_name).toBe('orders-fn')
    expect(second?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']])
  })

  it('counts pool recreations and breaker state changes, inside an invocation or before the next one', async () => {
    // Prepare
    const metrics = newMetrics()
    const breakerEvent = (type: 'breaker.open' | 'breaker.half-open' | 'breaker.close') =>
      emitLifecycle({
        type,
        at: Date.now(),
        breaker: 'payments',
        failures: 1,
        successes: 0,
        rejects: 0,
        timeouts: 0,
        source: 'local',
      })
    const handler = middy()
      .use(containerLifetime())
      .use(containerMetrics({ metrics }))
      .handler(async () => {
        emitLifecycle({
          type: 'pool.recreate',
          at: Date.now(),
          resource: 'pg',
          reason: 'validation-failed',
          created: 2,
          reused: 0,
          validated: 1,
          recreated: 1,
          failures: 1,
          durationMs: 3,
        })
        breakerEvent('breaker.open')
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('r1'))
    breakerEvent('breaker.half-open') // a reset timer between invocations
    await handler({}, lambdaContext('r2'))

    // Assess
    const [first, second] = holding(documents, 'ContainerAge')
    expect(first).toMatchObject({ PoolRecreate: 1, BreakerOpen: 1 })
    expect(second).toMatchObject({ PoolRecreate: 1, BreakerOpen: 1, BreakerHalfOpen: 1 })
    expect(total(documents, 'BreakerOpen')).toBe(2)
    expect(total(documents, 'BreakerHalfOpen')).toBe(1)
  })

  it('does not publish an invocation twice when two containerMetrics live in one process', async () => {
    // Prepare: two handlers bundled together, each with its own middleware
    const metrics = newMetrics()
    const first = handlerWith(metrics)
    const second = handlerWith(metrics)

    // Act
    await first({}, lambdaContext('r1'))
    await second({}, lambdaContext('r2'))

    // Assess
    expect(holding(documents, 'ContainerAge').map((document) => document.invocation)).toEqual([1, 2])
    expect(total(documents, 'OrderPlaced')).toBe(2)
  })

  it('keeps dimensions a handler set without a metric off its own documents', async () => {
    // Prepare
    const metrics = newMetrics()
    const handler = middy()
      .use(containerLifetime())
      .use(containerMetrics({ metrics }))
      .handler(async () => {
        metrics.addDimension('customer', 'c-42')
        return 'ok'
      })

    // Act
    await handler({}, lambdaContext('r1'))

    // Assess
    for (const document of documents) expect(document.customer).toBeUndefined()
    expect(metricNames(holding(documents, 'ContainerAge')[0] as EmfDocument)).toEqual(['ContainerAge'])
  })
})

describe('containerMetrics: restart after a crash', () => {
  let environmentTmp: string
  const savedTmp = process.env.TMPDIR

  beforeEach(() => {
    environmentTmp = mkdtempSync(join(tmpdir(), 'll-metrics-'))
    process.env.TMPDIR = environmentTmp
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'
    resetContainer()
  })

  afterEach(() => {
    jest.restoreAllMocks()
    process.env.TMPDIR = savedTmp
    delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
    rmSync(environmentTmp, { recursive: true, force: true })
  })

  it('counts the restart of a runtime that replaced a crashed one, with the dead one’s id as a property', async () => {
    // Prepare
    const documents = captureEmf()
    const crashed = await handlerWith(newMetrics())({}, lambdaContext('r1'))
    resetContainer() // the runtime died; a new one starts in the same environment, with a new module scope

    // Act
    const handler = handlerWith(newMetrics())
    const restarted = await handler({}, lambdaContext('r2'))
    await handler({}, lambdaContext('r3'))

    // Assess
    expect(restarted.restartOf).toBe(crashed.containerId)
    const [restart, ...others] = holding(documents, 'ContainerRestart')
    expect(others).toEqual([])
    expect(restart).toMatchObject({ ContainerRestart: 1, restart_of: crashed.containerId, invocation: 1 })
    expect(total(documents, 'ContainerStart')).toBe(2)
    for (const document of documents) expect(emfProblems(document)).toEqual([])
  })
})
