/**
 * The report from CloudWatch Logs Insights aggregates: the service counts `invocation.end` lines per
 * container and time bin and buckets durations and idle gaps, and only the rare lines (starts, shutdowns,
 * breaker changes, timeout warnings) come back whole. A week of a busy function costs a few thousand result
 * rows instead of every line.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { CloudWatchLogsClient, ResultField } from '@aws-sdk/client-cloudwatch-logs'
import { LogAccessDeniedError, LogGroupNotFoundError, sinceToStartTime } from './cloudwatch.js'
import { endingOf, ReportBuilder } from './model.js'
import type { ReportModel } from './types.js'

const PACKAGE = '@lambda-lifetime/report'

/** Most rows one Insights query returns (its `limit` cannot go higher); a full answer splits the range. */
export const INSIGHTS_RESULT_LIMIT = 10_000

/** Width of the time bins Insights counts invocations in, by the span of the report (about 240 bins). */
export const insightsBinMs = (spanMs: number): number =>
  [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 86_400_000].find(
    (width) => spanMs / width <= 300,
  ) ?? 86_400_000

/**
 * Lifecycle lines of both schemas. The event name is Powertools' `message` in both (schema 1 also repeated
 * it in `event`, which schema 2 dropped), so one filter on `message` reads a log written across an upgrade.
 */
const LIFECYCLE = 'lifecycle_schema in [1, 2] and ispresent(container_id)'
// `breaker.halfOpen` is the name writers used before the one event-name style; older logs still carry it.
const MARKER_EVENTS =
  '["container.start", "container.shutdown", "invocation.timeout-warning", "breaker.open", "breaker.half-open", "breaker.halfOpen", "breaker.close"]'

/**
 * The Logs Insights queries of the report, for a time bin of `binMs`. The same strings are saved as
 * `AWS::Logs::QueryDefinition` by the examples' CDK apps (with 5-minute bins), so that they can be run from
 * the console. They read the bare JSON lines Powertools Logger writes (its fields are discovered by Insights).
 *
 * @example
 * ```ts
 * import { insightsQueries } from '@lambda-lifetime/report'
 *
 * console.log(insightsQueries(300_000).invocations)
 * ```
 */
export const insightsQueries = (binMs: number) => ({
  /** The rare lines, whole: the report parses them as it parses a file. */
  markers: [
    'fields @timestamp, @message',
    `| filter ${LIFECYCLE} and message in ${MARKER_EVENTS}`,
    '| sort @timestamp asc',
    `| limit ${INSIGHTS_RESULT_LIMIT}`,
  ].join('\n'),
  /** Invocations per container, time bin and way of ending. */
  invocations: [
    `filter ${LIFECYCLE} and message = "invocation.end"`,
    `| fields toMillis(@timestamp) as at, floor(toMillis(@timestamp) / ${binMs}) * ${binMs} as bin_ms, coalesce(function_name, "") as fn, coalesce(environment_id, "") as env, coalesce(worker_id, -1) as worker, coalesce(outcome, "") as result, coalesce(status_code, 0) as status, coalesce(sample_rate, 0) as rate`,
    '| stats count(*) as n, max(invocation) as highest, min(at) as first_at, max(at) as last_at, max(rate) as sampled by container_id, fn, env, worker, result, status, bin_ms, lifecycle_schema',
    `| limit ${INSIGHTS_RESULT_LIMIT}`,
  ].join('\n'),
  /** Durations in the report's sketch buckets (16 per doubling from 0.01 ms), per function and start type. */
  durations: [
    `filter ${LIFECYCLE} and message = "invocation.end" and duration_ms >= 0`,
    '| fields coalesce(function_name, "") as fn, coalesce(start_type, "") as start, floor(log(greatest(duration_ms, 0.005) / 0.01) / log(2) * 16) + 1 as bucket',
    '| stats count(*) as n, min(duration_ms) as low, max(duration_ms) as high by fn, start, bucket',
    `| limit ${INSIGHTS_RESULT_LIMIT}`,
  ].join('\n'),
  /** Idle gaps before warm invocations in the report's histogram buckets (8 per doubling from 1 ms). */
  idleGaps: [
    `filter ${LIFECYCLE} and message = "invocation.end" and invocation > 1 and idle_ms >= 0`,
    '| fields coalesce(function_name, "") as fn, floor(log(greatest(idle_ms, 0.5)) / log(2) * 8) + 1 as bucket',
    '| stats count(*) as n, min(idle_ms) as low, max(idle_ms) as high by fn, bucket',
    `| limit ${INSIGHTS_RESULT_LIMIT}`,
  ].join('\n'),
})

/** The queries the examples' CDK apps save (`AWS::Logs::QueryDefinition`), by the name they get there. */
export const SAVED_INSIGHTS_QUERIES: Readonly<Record<string, string>> = (() => {
  const queries = insightsQueries(300_000)
  return {
    'lifecycle markers (starts, shutdowns, breakers)': queries.markers,
    'lifecycle invocations per container per 5 minutes': queries.invocations,
    'lifecycle durations (log buckets)': queries.durations,
    'lifecycle idle gaps before warm invocations (log buckets)': queries.idleGaps,
  }
})()

/** Progress of an Insights report, after every query. */
export interface InsightsProgress {
  readonly queriesDone: number
  readonly queriesStarted: number
  /** Bytes Insights scanned so far (what it bills). */
  readonly bytesScanned: number
}

/** A log group to report on with CloudWatch Logs Insights. */
export interface InsightsSource {
  /** Log group name (`/aws/lambda/<function>`) or ARN. */
  logGroup: string
  /** How far back: `30s`, `90m`, `24h`, `7d`, `1w`, an ISO date, or milliseconds. Default `24h`. */
  since?: string | number
  /** End of the range, epoch ms. Default now. */
  until?: number
  region?: string
  client?: CloudWatchLogsClient
  /** Queries running at once. Default 4 (an account runs 30 at most, dashboards included). */
  maxConcurrentQueries?: number
  /** First wait between two polls of a query; doubles up to 5 s. Default 500 ms. */
  pollBaseMs?: number
  /** Longest wait for one query before it is stopped. Default 15 minutes (Insights itself stops at 60). */
  queryTimeoutMs?: number
  onProgress?: (progress: InsightsProgress) => void
}

/** A query that ended Failed, Cancelled, Timeout or Unknown, or took longer than `queryTimeoutMs`. */
export class InsightsQueryError extends Error {
  constructor(message: string, cause?: unknown) {
    super(`${PACKAGE}: ${message}`, { cause: { package: PACKAGE, error: cause } })
    this.name = 'InsightsQueryError'
  }
}

type Row = Readonly<Record<string, string>>

const rowOf = (fields: readonly ResultField[]): Row =>
  Object.fromEntries(fields.map((field) => [field.field ?? '', field.value ?? '']))

const numberOf = (value: string | undefined): number => {
  const number = Number(value)
  return value === undefined || value === '' || !Number.isFinite(number) ? 0 : number
}

/** At most `limit` tasks at once. */
const limiter = (limit: number) => {
  let running = 0
  const waiting: Array<() => void> = []
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    running += 1
    try {
      return await task()
    } finally {
      running -= 1
      waiting.shift()?.()
    }
  }
}

interface QueryRun {
  readonly client: CloudWatchLogsClient
  readonly source: InsightsSource
  readonly group: { logGroupName: string } | { logGroupIdentifiers: string[] }
  readonly slot: ReturnType<typeof limiter>
  readonly progress: { queriesDone: number; queriesStarted: number; bytesScanned: number }
}

const translateError = (error: unknown, source: InsightsSource): unknown => {
  const name = (error as { name?: string } | null)?.name
  if (name === 'AccessDeniedException') {
    return new LogAccessDeniedError(
      source.logGroup,
      error,
      'logs:StartQuery, logs:GetQueryResults and logs:StopQuery',
    )
  }
  if (name === 'ResourceNotFoundException')
    return new LogGroupNotFoundError(source.logGroup, source.region, error)
  return error
}

/** Runs one query over [startS, endS] (epoch seconds, both inclusive) and waits for its rows. */
const runQuery = async (run: QueryRun, query: string, startS: number, endS: number): Promise<Row[]> => {
  const { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } = await import(
    '@aws-sdk/client-cloudwatch-logs'
  )
  return run.slot(async () => {
    let queryId: string | undefined
    try {
      ;({ queryId } = await run.client.send(
        new StartQueryCommand({ ...run.group, startTime: startS, endTime: endS, queryString: query }),
      ))
    } catch (error) {
      throw translateError(error, run.source)
    }
    if (!queryId) throw new InsightsQueryError('StartQuery answered without a query id')
    run.progress.queriesStarted += 1
    const deadline = Date.now() + (run.source.queryTimeoutMs ?? 900_000)
    let waitMs = run.source.pollBaseMs ?? 500
    for (;;) {
      const answer = await run.client.send(new GetQueryResultsCommand({ queryId }))
      const status = answer.status
      if (status === 'Complete') {
        run.progress.queriesDone += 1
        run.progress.bytesScanned += answer.statistics?.bytesScanned ?? 0
        run.source.onProgress?.({ ...run.progress })
        return (answer.results ?? []).map(rowOf)
      }
      if (status === 'Failed' || status === 'Cancelled' || status === 'Timeout' || status === 'Unknown') {
        throw new InsightsQueryError(
          `Logs Insights query ${queryId} on ${run.source.logGroup} ended ${status}${status === 'Timeout' ? ' (Insights stops a query after 60 minutes: report on a shorter --since)' : ''}`,
        )
      }
      if (Date.now() + waitMs > deadline) {
        await run.client.send(new StopQueryCommand({ queryId })).catch(() => undefined)
        throw new InsightsQueryError(
          `Logs Insights query ${queryId} on ${run.source.logGroup} still ${status ?? 'pending'} after ${Math.round((run.source.queryTimeoutMs ?? 900_000) / 1_000)} s; it was stopped`,
        )
      }
      await sleep(waitMs)
      waitMs = Math.min(5_000, waitMs * 2)
    }
  })
}

/**
 * Runs a query over the range; when it answers as many rows as Insights returns at most, some were left
 * out, so the range is split in two and each half asked again (down to one second).
 */
const runSplitting = async (run: QueryRun, query: string, startS: number, endS: number): Promise<Row[]> => {
  const rows = await runQuery(run, query, startS, endS)
  if (rows.length < INSIGHTS_RESULT_LIMIT) return rows
  if (endS <= startS) {
    throw new InsightsQueryError(
      `more than ${INSIGHTS_RESULT_LIMIT} result rows within one second at ${new Date(startS * 1_000).toISOString()}; use the FilterLogEvents engine (--engine filter)`,
    )
  }
  const middle = Math.floor((startS + endS) / 2)
  const [left, right] = await Promise.all([
    runSplitting(run, query, startS, middle),
    runSplitting(run, query, middle + 1, endS),
  ])
  return [...left, ...right]
}

const orNull = (value: string | undefined): string | null => (value ? value : null)

const addInvocations = (builder: ReportBuilder, rows: readonly Row[]): void => {
  for (const row of rows) {
    const containerId = row.container_id
    if (!containerId) continue
    const worker = numberOf(row.worker)
    builder.addInvocationAggregate({
      containerId,
      functionName: orNull(row.fn),
      environmentId: orNull(row.env),
      workerId: worker >= 0 ? worker : null,
      binStartMs: numberOf(row.bin_ms),
      ending: endingOf({ outcome: row.result, status_code: numberOf(row.status) || undefined }),
      count: numberOf(row.n),
      highestInvocation: numberOf(row.highest),
      firstAt: numberOf(row.first_at),
      lastAt: numberOf(row.last_at),
      sampled: numberOf(row.sampled) > 0,
      schema: numberOf(row.lifecycle_schema) || undefined,
    })
  }
}

const bucketOf = (row: Row) => ({
  index: numberOf(row.bucket),
  count: numberOf(row.n),
  min: numberOf(row.low),
  max: numberOf(row.high),
})

/**
 * Builds the report of a log group from CloudWatch Logs Insights aggregates (StartQuery, GetQueryResults):
 * the same model as reading every line, with invocations counted per container in time bins of
 * {@link insightsBinMs} and durations and idle gaps in the same buckets the streamed report uses. A query
 * that answers 10,000 rows is split over two halves of its range; a query that fails, is cancelled or
 * times out rejects with an {@link InsightsQueryError} naming it. Insights bills the bytes it scans.
 *
 * @example
 * ```ts
 * import { buildInsightsReport, renderTable } from '@lambda-lifetime/report'
 *
 * const model = await buildInsightsReport({ logGroup: '/aws/lambda/orders', since: '7d' })
 * process.stdout.write(renderTable(model))
 * ```
 */
export const buildInsightsReport = async (source: InsightsSource): Promise<ReportModel> => {
  const client =
    source.client ??
    new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(
      source.region ? { region: source.region } : {},
    )
  const endMs = source.until ?? Date.now()
  const startMs = sinceToStartTime(source.since ?? '24h', endMs)
  const run: QueryRun = {
    client,
    source,
    group: source.logGroup.startsWith('arn:')
      ? { logGroupIdentifiers: [source.logGroup] }
      : { logGroupName: source.logGroup },
    slot: limiter(source.maxConcurrentQueries ?? 4),
    progress: { queriesDone: 0, queriesStarted: 0, bytesScanned: 0 },
  }
  const queries = insightsQueries(insightsBinMs(endMs - startMs))
  const [startS, endS] = [Math.floor(startMs / 1_000), Math.ceil(endMs / 1_000)]
  const [markers, invocations, durations, idleGaps] = await Promise.all(
    [queries.markers, queries.invocations, queries.durations, queries.idleGaps].map((query) =>
      runSplitting(run, query, startS, endS),
    ),
  )
  const builder = new ReportBuilder()
  for (const row of markers ?? []) if (row['@message']) builder.add(row['@message'])
  addInvocations(builder, invocations ?? [])
  for (const row of durations ?? []) {
    builder.addDurationAggregate(orNull(row.fn), row.start === 'cold', bucketOf(row))
  }
  for (const row of idleGaps ?? []) builder.addIdleGapAggregate(orNull(row.fn), bucketOf(row))
  return builder.finish()
}

/** Stored bytes from which `engine: 'auto'` reports on a log group with Insights rather than FilterLogEvents. */
export const INSIGHTS_AUTO_BYTES = 1024 ** 3

/**
 * The engine for a log group: `insights` when it stores at least {@link INSIGHTS_AUTO_BYTES} (DescribeLogGroups'
 * `storedBytes`, over its whole retention), else `filter`; `filter` too when its size cannot be read (an ARN,
 * no `logs:DescribeLogGroups` permission).
 *
 * @example
 * ```ts
 * import { chooseEngine } from '@lambda-lifetime/report'
 *
 * const engine = await chooseEngine({ logGroup: '/aws/lambda/orders' }) // 'filter' or 'insights'
 * ```
 */
export const chooseEngine = async (
  source: Pick<InsightsSource, 'logGroup' | 'region' | 'client'>,
): Promise<'filter' | 'insights'> => {
  if (source.logGroup.startsWith('arn:')) return 'filter'
  const { CloudWatchLogsClient, DescribeLogGroupsCommand } = await import('@aws-sdk/client-cloudwatch-logs')
  const client = source.client ?? new CloudWatchLogsClient(source.region ? { region: source.region } : {})
  try {
    const answer = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: source.logGroup }))
    const group = answer?.logGroups?.find((candidate) => candidate.logGroupName === source.logGroup)
    return (group?.storedBytes ?? 0) >= INSIGHTS_AUTO_BYTES ? 'insights' : 'filter'
  } catch {
    return 'filter'
  }
}
