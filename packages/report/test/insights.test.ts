import {
  AccessDeniedException,
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  ResourceNotFoundException,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  buildInsightsReport,
  buildReport,
  chooseEngine,
  INSIGHTS_RESULT_LIMIT,
  InsightsQueryError,
  insightsBinMs,
  insightsQueries,
  LogAccessDeniedError,
  LogGroupNotFoundError,
  type ReportModel,
  runReportCli,
  SAVED_INSIGHTS_QUERIES,
} from '@lambda-lifetime/report'
import { mockClient } from 'aws-sdk-client-mock'
import { generateLifecycleLines } from './support/generate.js'

const logs = mockClient(CloudWatchLogsClient)
const START = Date.parse('2026-11-26T00:00:00Z')
const HOUR = 3_600_000
const GROUP = '/aws/lambda/orders-api'

/** The lines a log group holds: the generator's, as CloudWatch would store their messages. */
const logGroupOf = (lines: Iterable<string>) =>
  [...lines].flatMap((message) => {
    const brace = message.indexOf('{')
    try {
      const outer = JSON.parse(message.slice(brace)) as Record<string, unknown>
      const fields = (typeof outer.message === 'object' ? outer.message : outer) as Record<string, unknown>
      const at = Date.parse(String(fields.timestamp))
      return Number.isNaN(at) ? [] : [{ at, message: JSON.stringify(fields), fields }]
    } catch {
      return []
    }
  })

type Stored = ReturnType<typeof logGroupOf>[number]
type Fields = Record<string, unknown>

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value))
const grouped = (events: readonly Stored[], keyOf: (fields: Fields) => unknown[]) => {
  const groups = new Map<string, Stored[]>()
  for (const event of events) {
    const key = JSON.stringify(keyOf(event.fields))
    groups.set(key, [...(groups.get(key) ?? []), event])
  }
  return [...groups.values()]
}
const field = (name: string, value: unknown) => ({ field: name, value: text(value) })

/**
 * What Logs Insights answers to the report's four queries, computed here from the stored lines as the
 * query strings say (filter, fields, stats by), capped at its 10,000 rows.
 */
const insightsAnswer = (stored: readonly Stored[], input: StartQueryCommandInput) => {
  // The bin width the report chose, as the invocations query says it.
  const binMs = Number(
    /floor\(toMillis\(@timestamp\) \/ (\d+)\)/.exec(input.queryString ?? '')?.[1] ?? 60_000,
  )
  const queries = insightsQueries(binMs)
  const inRange = stored.filter(
    ({ at, fields }) =>
      at >= (input.startTime ?? 0) * 1_000 &&
      at < ((input.endTime ?? 0) + 1) * 1_000 &&
      (fields.lifecycle_schema === 1 || fields.lifecycle_schema === 2) &&
      typeof fields.container_id === 'string',
  )
  const ends = inRange.filter(({ fields }) => fields.message === 'invocation.end')
  const minOf = (events: readonly Stored[], pick: (event: Stored) => number) => Math.min(...events.map(pick))
  const maxOf = (events: readonly Stored[], pick: (event: Stored) => number) => Math.max(...events.map(pick))
  let rows: Array<Array<{ field: string; value: string }>>
  switch (input.queryString) {
    case queries.markers:
      rows = inRange
        .filter(({ fields }) =>
          [
            'container.start',
            'container.shutdown',
            'invocation.timeout-warning',
            'breaker.open',
            'breaker.half-open',
            'breaker.halfOpen',
            'breaker.close',
          ].includes(String(fields.message)),
        )
        .sort((a, b) => a.at - b.at)
        .map(({ at, message }) => [
          field('@timestamp', new Date(at).toISOString()),
          field('@message', message),
        ])
      break
    case queries.invocations:
      rows = grouped(ends, (fields) => [
        fields.container_id,
        fields.function_name,
        fields.environment_id,
        fields.worker_id,
        fields.outcome,
        fields.status_code,
        fields.lifecycle_schema,
      ]).flatMap((events) =>
        grouped(
          events.map((event) => ({
            ...event,
            fields: { ...event.fields, bin: Math.floor(event.at / binMs) * binMs },
          })),
          (fields) => [fields.bin],
        ).map((bin) => {
          const first = bin[0]?.fields ?? {}
          return [
            field('container_id', first.container_id),
            field('fn', first.function_name),
            field('env', first.environment_id),
            field('worker', first.worker_id ?? -1),
            field('result', first.outcome),
            field('status', first.status_code ?? 0),
            field('bin_ms', first.bin),
            field('n', bin.length),
            field(
              'highest',
              maxOf(bin, (event) => Number(event.fields.invocation)),
            ),
            field(
              'first_at',
              minOf(bin, (event) => event.at),
            ),
            field(
              'last_at',
              maxOf(bin, (event) => event.at),
            ),
            field(
              'sampled',
              maxOf(bin, (event) => Number(event.fields.sample_rate ?? 0)),
            ),
            field('lifecycle_schema', first.lifecycle_schema),
          ]
        }),
      )
      break
    case queries.durations:
      rows = grouped(ends, (fields) => [
        fields.function_name,
        fields.start_type,
        Math.floor((Math.log(Math.max(Number(fields.duration_ms), 0.005) / 0.01) / Math.log(2)) * 16) + 1,
      ]).map((events) => {
        const first = events[0]?.fields ?? {}
        const duration = (event: Stored) => Number(event.fields.duration_ms)
        return [
          field('fn', first.function_name),
          field('start', first.start_type),
          field(
            'bucket',
            Math.floor((Math.log(Math.max(duration(events[0] as Stored), 0.005) / 0.01) / Math.log(2)) * 16) +
              1,
          ),
          field('n', events.length),
          field('low', minOf(events, duration)),
          field('high', maxOf(events, duration)),
        ]
      })
      break
    case queries.idleGaps: {
      const warm = ends.filter(({ fields }) => Number(fields.invocation) > 1)
      const bucket = (idle: number) => Math.floor((Math.log(Math.max(idle, 0.5)) / Math.log(2)) * 8) + 1
      rows = grouped(warm, (fields) => [fields.function_name, bucket(Number(fields.idle_ms))]).map(
        (events) => {
          const idle = (event: Stored) => Number(event.fields.idle_ms)
          return [
            field('fn', events[0]?.fields.function_name),
            field('bucket', bucket(idle(events[0] as Stored))),
            field('n', events.length),
            field('low', minOf(events, idle)),
            field('high', maxOf(events, idle)),
          ]
        },
      )
      break
    }
    default:
      throw new Error(`unexpected query ${input.queryString}`)
  }
  return rows.slice(0, INSIGHTS_RESULT_LIMIT)
}

/** Serves StartQuery and GetQueryResults from the stored lines: Running once, then Complete. */
const serveInsights = (stored: readonly Stored[]) => {
  const started: StartQueryCommandInput[] = []
  const polls = new Map<string, number>()
  logs.on(StartQueryCommand).callsFake((input: StartQueryCommandInput) => {
    started.push(input)
    return { queryId: `q${started.length}` }
  })
  logs
    .on(GetQueryResultsCommand)
    .callsFake(({ queryId }: { queryId: string }): GetQueryResultsCommandOutput => {
      const poll = (polls.get(queryId) ?? 0) + 1
      polls.set(queryId, poll)
      if (poll === 1) return { status: 'Running', $metadata: {} }
      const input = started[Number(queryId.slice(1)) - 1] as StartQueryCommandInput
      return {
        status: 'Complete',
        results: insightsAnswer(stored, input),
        statistics: { bytesScanned: 1_000_000 },
        $metadata: {},
      }
    })
  return started
}

const comparable = (model: ReportModel) => ({
  containers: model.containers.map(({ activity: _activity, ...container }) => container),
  functions: model.functions.map(({ functionName, summary }) => ({
    functionName,
    invocations: summary.invocations,
    latencyMs: summary.latencyMs,
  })),
  summary: { ...model.summary, idleGapMs: null, idleGapClasses: null },
})

describe('the report from Logs Insights aggregates (issue 15)', () => {
  afterEach(() => {
    logs.reset()
  })

  it('sends the exact query strings, over the whole range, in epoch seconds', async () => {
    // Prepare
    const started = serveInsights([])

    // Act
    await buildInsightsReport({
      logGroup: GROUP,
      since: '24h',
      until: START + 24 * HOUR,
      client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
      pollBaseMs: 1,
    })

    // Assess
    expect(started.map((input) => [input.logGroupName, input.startTime, input.endTime])).toEqual(
      Array(4).fill([GROUP, START / 1_000, START / 1_000 + 86_400]),
    )
    expect(started.map((input) => input.queryString)).toEqual([
      `fields @timestamp, @message
| filter lifecycle_schema in [1, 2] and ispresent(container_id) and message in ["container.start", "container.shutdown", "invocation.timeout-warning", "breaker.open", "breaker.half-open", "breaker.halfOpen", "breaker.close"]
| sort @timestamp asc
| limit 10000`,
      `filter lifecycle_schema in [1, 2] and ispresent(container_id) and message = "invocation.end"
| fields toMillis(@timestamp) as at, floor(toMillis(@timestamp) / 300000) * 300000 as bin_ms, coalesce(function_name, "") as fn, coalesce(environment_id, "") as env, coalesce(worker_id, -1) as worker, coalesce(outcome, "") as result, coalesce(status_code, 0) as status, coalesce(sample_rate, 0) as rate
| stats count(*) as n, max(invocation) as highest, min(at) as first_at, max(at) as last_at, max(rate) as sampled by container_id, fn, env, worker, result, status, bin_ms, lifecycle_schema
| limit 10000`,
      `filter lifecycle_schema in [1, 2] and ispresent(container_id) and message = "invocation.end" and duration_ms >= 0
| fields coalesce(function_name, "") as fn, coalesce(start_type, "") as start, floor(log(greatest(duration_ms, 0.005) / 0.01) / log(2) * 16) + 1 as bucket
| stats count(*) as n, min(duration_ms) as low, max(duration_ms) as high by fn, start, bucket
| limit 10000`,
      `filter lifecycle_schema in [1, 2] and ispresent(container_id) and message = "invocation.end" and invocation > 1 and idle_ms >= 0
| fields coalesce(function_name, "") as fn, floor(log(greatest(idle_ms, 0.5)) / log(2) * 8) + 1 as bucket
| stats count(*) as n, min(idle_ms) as low, max(idle_ms) as high by fn, bucket
| limit 10000`,
    ])
    expect(Object.values(SAVED_INSIGHTS_QUERIES)).toEqual(started.map((input) => input.queryString))
  })

  it('draws the same report as reading every line, from the aggregates of a day of two functions', async () => {
    // Prepare
    const lines = [
      ...generateLifecycleLines({
        lines: 20_000,
        containers: 16,
        seed: 21,
        restartRate: 0.2,
        functions: ['orders-api', 'payments'],
      }),
    ]
    const stored = logGroupOf(lines)
    const streamed = await buildReport(stored.map((event) => event.message))
    serveInsights(stored)
    const progress: number[] = []

    // Act
    const model = await buildInsightsReport({
      logGroup: GROUP,
      since: '24h',
      until: START + 24 * HOUR,
      client: new CloudWatchLogsClient({}),
      pollBaseMs: 1,
      onProgress: ({ bytesScanned }) => progress.push(bytesScanned),
    })

    // Assess
    expect(comparable(model)).toEqual(comparable(streamed))
    expect(model.summary.idleGapMs).toMatchObject({
      count: streamed.summary.idleGapMs?.count,
      min: streamed.summary.idleGapMs?.min,
      max: streamed.summary.idleGapMs?.max,
    })
    const [insightsMedian, exactMedian] = [
      model.summary.idleGapMs?.median ?? 0,
      streamed.summary.idleGapMs?.median ?? 0,
    ]
    expect(Math.abs(insightsMedian - exactMedian)).toBeLessThanOrEqual(exactMedian * 0.1)
    expect(model.summary.invocations).toBeGreaterThan(5_000)
    expect(progress).toEqual([1e6, 2e6, 3e6, 4e6])
  })

  it('splits the range when a query answers the 10,000 rows Insights returns at most, and loses no row', async () => {
    // Prepare: five hours in one-minute bins, 120 containers: more than 10,000 rows of invocations
    const lines = [
      ...generateLifecycleLines({ lines: 60_000, containers: 120, seed: 4, spanMs: 5 * HOUR, noise: 0 }),
    ]
    const stored = logGroupOf(lines)
    const streamed = await buildReport(stored.map((event) => event.message))
    const started = serveInsights(stored)

    // Act
    const model = await buildInsightsReport({
      logGroup: GROUP,
      since: 5 * HOUR,
      until: START + 5 * HOUR,
      client: new CloudWatchLogsClient({}),
      pollBaseMs: 1,
      maxConcurrentQueries: 2,
    })

    // Assess
    expect(insightsBinMs(5 * HOUR)).toBe(60_000)
    const invocationQueries = started.filter(
      (input) => input.queryString === insightsQueries(60_000).invocations,
    )
    expect(invocationQueries.length).toBeGreaterThanOrEqual(3)
    const halves = invocationQueries.slice(1).map((input) => [input.startTime, input.endTime])
    expect(halves).toContainEqual([START / 1_000, (START + 2.5 * HOUR) / 1_000])
    expect(halves).toContainEqual([(START + 2.5 * HOUR) / 1_000 + 1, (START + 5 * HOUR) / 1_000])
    expect(comparable(model)).toEqual(comparable(streamed))
  })

  it.each([
    ['Failed', /query q1 on \/aws\/lambda\/orders-api ended Failed$/],
    ['Cancelled', /ended Cancelled$/],
    ['Timeout', /ended Timeout \(Insights stops a query after 60 minutes: report on a shorter --since\)$/],
  ])('rejects with a clear message when a query ends %s', async (status, message) => {
    // Prepare
    logs.on(StartQueryCommand).resolves({ queryId: 'q1' })
    logs.on(GetQueryResultsCommand).resolves({ status: status as 'Failed' })

    // Act
    const report = buildInsightsReport({
      logGroup: GROUP,
      client: new CloudWatchLogsClient({}),
      pollBaseMs: 1,
    })

    // Assess
    await expect(report).rejects.toThrow(InsightsQueryError)
    await expect(report).rejects.toThrow(message)
  })

  it('stops a query that runs longer than queryTimeoutMs and says so', async () => {
    // Prepare
    logs.on(StartQueryCommand).resolves({ queryId: 'slow' })
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' })
    logs.on(StopQueryCommand).resolves({ success: true })

    // Act
    const report = buildInsightsReport({
      logGroup: GROUP,
      client: new CloudWatchLogsClient({}),
      pollBaseMs: 1,
      queryTimeoutMs: 20,
    })

    // Assess
    await expect(report).rejects.toThrow(
      /query slow on \/aws\/lambda\/orders-api still Running after 0 s; it was stopped/,
    )
    expect(logs.commandCalls(StopQueryCommand).length).toBeGreaterThanOrEqual(1)
  })

  it('says which permission is missing, and fails on a query without an id', async () => {
    // Prepare
    logs.on(StartQueryCommand).rejects(new AccessDeniedException({ message: 'no', $metadata: {} }))

    // Act
    const denied = buildInsightsReport({ logGroup: GROUP, client: new CloudWatchLogsClient({}) })

    // Assess
    await expect(denied).rejects.toThrow(LogAccessDeniedError)
    await expect(denied).rejects.toThrow(
      'the credentials need logs:StartQuery, logs:GetQueryResults and logs:StopQuery on arn:aws:logs:<region>:<account>:log-group:/aws/lambda/orders-api:*',
    )
    logs.reset()
    logs.on(StartQueryCommand).resolves({})
    await expect(
      buildInsightsReport({
        logGroup: `arn:aws:logs:eu-west-1:1:log-group:${GROUP}`,
        client: new CloudWatchLogsClient({}),
      }),
    ).rejects.toThrow('StartQuery answered without a query id')
    expect(logs.commandCalls(StartQueryCommand)[0]?.args[0].input.logGroupIdentifiers).toEqual([
      `arn:aws:logs:eu-west-1:1:log-group:${GROUP}`,
    ])
  })

  it('names a missing log group, and passes any other error on as it is', async () => {
    // Prepare
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
    logs
      .on(StartQueryCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'none', $metadata: {} }))
      .rejects(throttled)
    const client = new CloudWatchLogsClient({})

    // Act
    const missing = buildInsightsReport({ logGroup: GROUP, client, region: 'eu-west-1' })
    await expect(missing).rejects.toThrow(LogGroupNotFoundError)
    const other = buildInsightsReport({ logGroup: GROUP, client })

    // Assess
    await expect(missing).rejects.toThrow(`log group ${GROUP} not found in eu-west-1`)
    await expect(other).rejects.toBe(throttled)
  })

  it('rejects when one second still holds more rows than a query returns, and on an Unknown status', async () => {
    // Prepare: every answer is full, over a range of 4 seconds
    const full = Array.from({ length: INSIGHTS_RESULT_LIMIT }, () => [{ field: 'n', value: '1' }])
    logs.on(StartQueryCommand).resolves({ queryId: 'full' })
    logs.on(GetQueryResultsCommand).resolves({ status: 'Complete', results: full })
    const client = new CloudWatchLogsClient({})

    // Act
    const overflowing = buildInsightsReport({ logGroup: GROUP, client, since: 4_000, until: START + 4_000 })

    // Assess
    await expect(overflowing).rejects.toThrow(
      'more than 10000 result rows within one second at 2026-11-26T00:00:0',
    )
    await expect(overflowing).rejects.toThrow('use the FilterLogEvents engine (--engine filter)')
    logs.reset()
    logs.on(StartQueryCommand).resolves({ queryId: 'lost' })
    logs.on(GetQueryResultsCommand).resolves({ status: 'Unknown' })
    await expect(buildInsightsReport({ logGroup: GROUP, client, pollBaseMs: 1 })).rejects.toThrow(
      'query lost on /aws/lambda/orders-api ended Unknown',
    )
  })

  it('chooses Insights for a log group of 1 GiB or more, FilterLogEvents otherwise or when unsure', async () => {
    // Prepare
    const client = new CloudWatchLogsClient({})
    logs
      .on(DescribeLogGroupsCommand)
      .resolvesOnce({
        logGroups: [
          { logGroupName: `${GROUP}-2`, storedBytes: 2 ** 40 },
          { logGroupName: GROUP, storedBytes: 2 ** 30 },
        ],
      })
      .resolvesOnce({ logGroups: [{ logGroupName: GROUP, storedBytes: 2 ** 30 - 1 }] })
      .rejectsOnce(new AccessDeniedException({ message: 'no', $metadata: {} }))

    // Act
    const engines = [
      await chooseEngine({ logGroup: GROUP, client }),
      await chooseEngine({ logGroup: GROUP, client }),
      await chooseEngine({ logGroup: GROUP, client }),
      await chooseEngine({ logGroup: 'arn:aws:logs:eu-west-1:1:log-group:x', client }),
    ]

    // Assess
    expect(engines).toEqual(['insights', 'filter', 'filter', 'filter'])
  })

  it('runs with --engine insights from the command, and refuses an unknown engine', async () => {
    // Prepare
    const stored = logGroupOf(generateLifecycleLines({ lines: 2_000, containers: 4, seed: 2 }))
    serveInsights(stored)
    const out = { stdout: '', stderr: '' }
    const io = {
      stdout: { write: (chunk: string) => (out.stdout += chunk) },
      stderr: { write: (chunk: string) => (out.stderr += chunk), isTTY: false },
    }

    // Act
    const code = await runReportCli(
      ['--log-group', GROUP, '--engine', 'insights', '--since', '2026-11-25T00:00:00Z'],
      io,
    )
    const bad = await runReportCli(['--log-group', GROUP, '--engine', 'fast'], io)

    // Assess
    expect(code).toBe(0)
    expect(out.stdout).toMatch(/containers\s+4/)
    expect(out.stderr).toContain('Logs Insights: 4 of 4 queries done, 4.0 MB scanned\n')
    expect(bad).toBe(2)
    expect(out.stderr).toContain('--engine takes filter, insights or auto, not fast')
  })
})
