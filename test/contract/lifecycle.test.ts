/**
 * The contract between the writer and the reader of lifecycle lines: what `lifecycleLogger` really
 * prints, through a real Powertools Logger, from real Middy invocations of containerLifetime, warmPool and
 * circuitBreaker, is fed to the report's parser and model, which must find the containers, invocations,
 * cold starts, restarts, errors, shutdowns and breaker changes the test made happen. Every line must also
 * match the schema in @lambda-lifetime/commons: a key renamed in the logger fails here. The writer writes
 * schema 2; the reader also reads schema 1 (a fixture of what lambda-lifetime 0.1 wrote), alone or mixed
 * with schema 2 in one log, and a log whose invocation lines were sampled per container.
 *
 * Containers are simulated in one process the way tests simulate a new runtime: `resetContainerState()`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Logger } from '@aws-lambda-powertools/logger'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { circuitBreaker } from '@lambda-lifetime/breaker'
import { checkLifecycleLine, LIFECYCLE_EVENTS, LIFECYCLE_LINE_KEYS } from '@lambda-lifetime/commons'
import { containerLifetime, type InvocationView, resetContainerState } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import { warmPool } from '@lambda-lifetime/pool'
import { buildReport, parseLifecycleLine, type ReportModel } from '@lambda-lifetime/report'
import middy from '@middy/core'
import warmup from '@middy/warmup'
import { deliverSigterm, lambdaContext } from '../support/container.js'

/** Two environments (log streams): a container in the first is replaced after a crash. */
const STREAM_ONE = '2026/12/04/[$LATEST]0123456789abcdef0123456789abcdef'
const STREAM_TWO = '2026/12/04/[$LATEST]fedcba9876543210fedcba9876543210'

/** What Lambda's log stream would hold: every byte the Logger wrote to stdout and stderr. */
const capturedStream = (): { stream: Writable; text: () => string } => {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return { stream, text: () => chunks.join('') }
}

/**
 * A Powertools Logger as Lambda runs it (compact JSON, one line per entry, no dev mode), writing to
 * `stream`: it builds its console from `process.stdout` and `process.stderr` when it is created.
 */
const loggerWritingTo = (stream: Writable): Logger => {
  const saved = ['stdout', 'stderr'].map(
    (name) => [name, Object.getOwnPropertyDescriptor(process, name)] as const,
  )
  for (const [name] of saved) Object.defineProperty(process, name, { configurable: true, value: stream })
  try {
    return new Logger({ serviceName: 'contract' })
  } finally {
    for (const [name, descriptor] of saved) if (descriptor) Object.defineProperty(process, name, descriptor)
  }
}

/** Resolves once `text()` shows a line with this event; rejects after a generous bound. */
const lineWritten = async (text: () => string, event: string): Promise<void> => {
  const deadline = Date.now() + 10_000
  while (!text().includes(`"message":"${event}"`)) {
    if (Date.now() > deadline) throw new Error(`no ${event} line within 10 s`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The keys Powertools Logger puts on every line it prints, next to the ones the lifecycle schema names. */
const POWERTOOLS_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
])

/** Keys of a line that neither the schema of its event nor Powertools names: a renamed key shows here. */
const unknownKeysOf = (line: Record<string, unknown>): string[] => {
  const schema = LIFECYCLE_LINE_KEYS[line.message as keyof typeof LIFECYCLE_LINE_KEYS]
  if (schema === undefined) return [] // sibling events carry their own fields
  return Object.keys(line).filter((key) => !Object.hasOwn(schema, key) && !POWERTOOLS_KEYS.has(key))
}

interface Run {
  readonly lines: string[]
  readonly model: ReportModel
  readonly ids: { a: string; b: string; c: string }
}

/**
 * Three containers:
 * - A (environment one): cold; a success; a failure that breaks the pooled resource and opens the breaker;
 *   a third invocation that gets a re-created resource and a timeout warning; then it crashes (no shutdown).
 * - B (environment one, after A's crash): a restart of A, two invocations, then SIGTERM.
 * - C (environment two): a warm-up early return and an invocation, then SIGTERM.
 */
const runScenario = async (): Promise<Run> => {
  const { stream, text } = capturedStream()
  const logger = loggerWritingTo(stream)
  let created = 0

  // A new runtime runs its Init again: each container builds its handler after the reset.
  const serviceHandler = () =>
    middy<{ fail?: boolean; slow?: boolean }>()
      .use(containerLifetime({ thawThresholdMs: 0 }))
      .use(lifecycleLogger({ logger, timeoutWarningMs: 590 }))
      .use(
        warmPool({
          name: 'db',
          create: () => ({ generation: ++created }),
          isBroken: () => true,
        }),
      )
      .use(
        circuitBreaker({
          name: 'payments',
          action: async (fail: boolean) => {
            if (fail) throw new Error('payments down')
            return 'paid'
          },
          options: { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 60_000 },
        }),
      )
      .handler(async (event, context) => {
        if (event.slow) await lineWritten(text, LIFECYCLE_EVENTS.invocationTimeoutWarning)
        await context.breakers.payments.fire(event.fail === true)
        return { statusCode: 200, container: context.container as InvocationView }
      })

  const plainHandler = () =>
    middy<Record<string, unknown>>()
      .use(containerLifetime({ thawThresholdMs: 0 }))
      .use(lifecycleLogger({ logger }))
      .use(warmup())
      .handler(async (_event, context) => ({
        statusCode: 200,
        container: context.container as InvocationView,
      }))

  // Container A
  process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM_ONE
  resetContainerState()
  const inA = serviceHandler()
  const a = (await inA({}, lambdaContext('a-1'))).container.containerId
  await expect(inA({ fail: true }, lambdaContext('a-2'))).rejects.toThrow('payments down')
  await expect(inA({ slow: true }, lambdaContext('a-3', 600))).rejects.toThrow(/open/)

  // Container B: the same environment after A crashed
  resetContainerState()
  const inB = plainHandler()
  const b = (await inB({}, lambdaContext('b-1'))).container.containerId
  await inB({}, lambdaContext('b-2'))
  await deliverSigterm()

  // Container C: another environment
  process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM_TWO
  resetContainerState()
  const inC = plainHandler()
  await inC({ source: 'serverless-plugin-warmup' }, lambdaContext('c-1'))
  const c = (await inC({}, lambdaContext('c-2'))).container.containerId
  await deliverSigterm()
  resetContainerState()

  const lines = text().split('\n')
  return { lines, model: await buildReport(lines), ids: { a, b, c } }
}

describe('lifecycle lines: logger to report', () => {
  const previousTmp = process.env.TMPDIR
  const tmp = mkdtempSync(join(tmpdir(), 'lambda-lifetime-contract-'))
  let run: Run

  beforeAll(async () => {
    delete process.env.POWERTOOLS_DEV
    process.env.TMPDIR = tmp // the restart marker lives there, as in /tmp
    run = await runScenario()
  })

  afterAll(() => {
    if (previousTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previousTmp
    delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
    rmSync(tmp, { recursive: true, force: true })
  })

  it('writes only lines that match the schema, every one read by the parser as a lifecycle line', () => {
    // Prepare
    const written = run.lines.filter((line) => line.includes('"lifecycle_schema"'))

    // Act
    const problems = written.flatMap((line) => {
      const parsed = JSON.parse(line)
      return [
        ...checkLifecycleLine(parsed),
        ...unknownKeysOf(parsed).map((key) => `"${key}" is not in the schema`),
      ].map((problem) => `${problem} in ${line}`)
    })
    const kinds = written.map((line) => parseLifecycleLine(line).kind)

    // Assess
    expect(problems).toEqual([])
    expect(kinds.every((kind) => kind === 'lifecycle')).toBe(true)
    expect(new Set(written.map((line) => JSON.parse(line).message))).toEqual(
      new Set([
        'container.start',
        'container.thaw',
        'invocation.end',
        'invocation.timeout-warning',
        'container.shutdown',
        'breaker.open',
        'pool.create',
        'pool.recreate',
        'pool.dispose',
      ]),
    )
  })

  it('reads back the containers, environments, invocations, cold starts, restarts and errors', () => {
    // Assess
    const { summary } = run.model
    expect(summary).toMatchObject({
      containers: 3,
      environments: 2,
      invocations: 7,
      coldStarts: 3,
      restarts: 1,
      shutdowns: 2,
      shutdownReasons: { SIGTERM: 2 },
      errors: 2,
      timeoutWarnings: 1,
      breakers: { payments: { open: 1, halfOpen: 0, close: 0 } },
    })
    expect(run.model.skipped).toMatchObject({ invalid: 0, newerSchema: 0 })
  })

  it('tells each container apart: its invocations, errors, restart and shutdown', () => {
    // Prepare
    const byId = new Map(run.model.containers.map((container) => [container.containerId, container]))
    const { a, b, c } = run.ids

    // Assess
    expect(byId.get(a)).toMatchObject({
      environmentId: STREAM_ONE,
      startType: 'cold',
      invocations: 3,
      errors: 2,
      timeoutWarnings: 1,
      breakerChanges: 1,
      restartOf: null,
      shutdown: null,
    })
    expect(byId.get(b)).toMatchObject({
      environmentId: STREAM_ONE,
      invocations: 2,
      errors: 0,
      restartOf: a,
      shutdown: { reason: 'SIGTERM' },
    })
    expect(byId.get(c)).toMatchObject({
      environmentId: STREAM_TWO,
      invocations: 2,
      errors: 0,
      restartOf: null,
      shutdown: { reason: 'SIGTERM' },
    })
  })

  it('puts the constant facts on container.start only, and keeps a warm invocation.end line under 300 bytes', () => {
    // Prepare
    const parsed = run.lines
      .filter((line) => line.includes('"lifecycle_schema"'))
      .map((line) => JSON.parse(line))
    const ends = run.lines.filter((line) => line.includes('"message":"invocation.end"'))
    const warmSuccesses = ends.filter((line) => !line.includes('"outcome"') && !line.includes('"start_type"'))

    // Assess
    for (const line of parsed) {
      const constant = ['function_arn', 'function_memory_size', 'environment_id', 'init_type'].filter((key) =>
        Object.hasOwn(line, key),
      )
      expect([line.message, constant.length > 0]).toEqual([line.message, line.message === 'container.start'])
    }
    expect(warmSuccesses.length).toBeGreaterThanOrEqual(2)
    for (const line of warmSuccesses) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(300)
  })

  it('reads a log written across the upgrade: schema 1 lines of an old writer, then schema 2', async () => {
    // Prepare: container v1 served two invocations under lambda-lifetime 0.1, before the deploy
    const v1 = SCHEMA_1_LOG.map((line) => JSON.stringify(line))

    // Act
    const old = await buildReport(v1)
    const mixed = await buildReport([...v1, ...run.lines])

    // Assess
    expect(old.schemaVersionsRead).toEqual([1])
    expect(run.model.schemaVersionsRead).toEqual([2])
    expect(mixed.schemaVersionsRead).toEqual([1, 2])
    expect(old.summary).toMatchObject({ containers: 1, invocations: 2, coldStarts: 1, shutdowns: 1 })
    expect(mixed.summary).toMatchObject({
      containers: run.model.summary.containers + 1,
      invocations: run.model.summary.invocations + 2,
      coldStarts: run.model.summary.coldStarts + 1,
      errors: run.model.summary.errors,
      shutdowns: run.model.summary.shutdowns + 1,
      invocationLines: {
        read: run.model.summary.invocationLines.read + 2,
        sampledOut: 0,
        missing: 0,
      },
    })
    expect(mixed.summary.latencyMs.cold?.count).toBe((run.model.summary.latencyMs.cold?.count ?? 0) + 1)
  })

  it('reads a line of an older writer under today’s event name', async () => {
    // Prepare: a schema 1 breaker line as lambda-lifetime 0.1 named a half-open breaker
    const legacy = JSON.stringify({
      ...SCHEMA_1_LOG[0],
      message: 'breaker.halfOpen',
      event: 'breaker.halfOpen',
      breaker: 'payments',
    })

    // Act
    const model = await buildReport([legacy])

    // Assess
    expect(model.summary.breakers).toEqual({ payments: { open: 0, halfOpen: 1, close: 0 } })
  })
})

describe('lifecycle lines sampled per container: logger to report', () => {
  const previousTmp = process.env.TMPDIR
  const tmp = mkdtempSync(join(tmpdir(), 'lambda-lifetime-contract-'))

  beforeAll(() => {
    delete process.env.POWERTOOLS_DEV
    process.env.TMPDIR = tmp
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM_ONE
  })

  afterAll(() => {
    if (previousTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previousTmp
    delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
    resetContainerState()
    rmSync(tmp, { recursive: true, force: true })
  })

  /** 20 invocations of one container, the 9th and the 11th failing, with the first 4 lines, then 1 in 5. */
  const sampledRun = async (): Promise<string[]> => {
    const { stream, text } = capturedStream()
    const logger = loggerWritingTo(stream)
    resetContainerState()
    const handler = middy<{ fail?: boolean; status?: number }>()
      .use(containerLifetime())
      .use(lifecycleLogger({ logger, sampling: { first: 4, oneIn: 5 } }))
      .handler(async (event) => {
        if (event.fail) throw new Error('failed')
        return { statusCode: event.status ?? 200 }
      })
    for (let invocation = 1; invocation <= 20; invocation++) {
      const event = { fail: invocation === 9, status: invocation === 11 ? 404 : 200 }
      await handler(event, lambdaContext(`s-${invocation}`)).catch(() => undefined)
    }
    await deliverSigterm()
    resetContainerState()
    return text().split('\n')
  }

  it('writes the first lines, then one in M, and every failure and 4xx; the report counts exactly', async () => {
    // Act
    const lines = await sampledRun()
    const model = await buildReport(lines)

    // Assess: lines of invocations 1-4, 9 (error), 11 (404), then the rule's 9, 14, 19
    const ends = lines
      .filter((line) => line.includes('"message":"invocation.end"'))
      .map((line) => JSON.parse(line))
    expect(ends.map((line) => [line.invocation, line.sample_rate, line.sample_first])).toEqual([
      [1, undefined, undefined],
      [2, undefined, undefined],
      [3, undefined, undefined],
      [4, undefined, undefined],
      [9, 0.2, 4],
      [11, 1, undefined],
      [14, 0.2, 4],
      [19, 0.2, 4],
    ])
    expect(model.summary).toMatchObject({
      invocations: 20,
      errors: 1,
      clientErrors: 1,
      invocationLines: { read: 8, sampledOut: 12, missing: 0 },
    })
  })

  it('tells a line lost from a line sampled out', async () => {
    // Prepare: the line of invocation 14, which the rule kept, never reached the logs
    const lines = (await sampledRun()).filter((line) => !line.includes('"function_request_id":"s-14"'))

    // Act
    const model = await buildReport(lines)

    // Assess
    expect(model.summary.invocations).toBe(20)
    expect(model.summary.invocationLines).toEqual({ read: 7, sampledOut: 12, missing: 1 })
  })
})

/** What lambda-lifetime 0.1 (schema 1) wrote for a cold and a warm invocation and a shutdown. */
const SCHEMA_1_CONTAINER = '5d3bd0a6-2d7c-4b7e-9b1a-0c7a3e1f2b44'
const SCHEMA_1_CONTEXT = {
  level: 'INFO',
  service: 'contract',
  function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:test-function',
  function_memory_size: '128',
  function_name: 'test-function',
  sampling_rate: 0,
  lifecycle_schema: 1,
  container_id: SCHEMA_1_CONTAINER,
  environment_id: '2026/12/01/[$LATEST]00112233445566778899aabbccddeeff',
}
const SCHEMA_1_LOG: Record<string, unknown>[] = [
  {
    ...SCHEMA_1_CONTEXT,
    message: 'container.start',
    event: 'container.start',
    timestamp: '2026-12-01T10:00:00.200Z',
    cold_start: true,
    function_request_id: 'old-1',
    invocation: 1,
    start_type: 'cold',
    idle_ms: 0,
    container_age_ms: 200,
    init_type: 'on-demand',
    since_runtime_start_ms: 200,
    runtime_started_at: '2026-12-01T10:00:00.000Z',
  },
  {
    ...SCHEMA_1_CONTEXT,
    message: 'invocation.end',
    event: 'invocation.end',
    timestamp: '2026-12-01T10:00:00.250Z',
    cold_start: true,
    function_request_id: 'old-1',
    invocation: 1,
    start_type: 'cold',
    idle_ms: 0,
    container_age_ms: 250,
    duration_ms: 50,
    outcome: 'success',
    status_code: 200,
  },
  {
    ...SCHEMA_1_CONTEXT,
    message: 'invocation.end',
    event: 'invocation.end',
    timestamp: '2026-12-01T10:01:00.040Z',
    cold_start: false,
    function_request_id: 'old-2',
    invocation: 2,
    start_type: 'warm',
    idle_ms: 59_750,
    container_age_ms: 60_040,
    duration_ms: 40,
    outcome: 'success',
    status_code: 200,
  },
  {
    ...SCHEMA_1_CONTEXT,
    message: 'container.shutdown',
    event: 'container.shutdown',
    timestamp: '2026-12-01T10:30:00.000Z',
    container_age_ms: 1_800_000,
    invocations: 2,
    reason: 'SIGTERM',
  },
]
