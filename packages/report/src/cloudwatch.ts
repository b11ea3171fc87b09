import { setTimeout as sleep } from 'node:timers/promises'
import type { CloudWatchLogsClient, FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs'

const PACKAGE = '@lambda-lifetime/report'
// Lifecycle lines all carry this key: asking CloudWatch to filter saves transferring everything else.
const DEFAULT_FILTER_PATTERN = '"lifecycle_schema"'
const UNITS_MS: Record<'s' | 'm' | 'h' | 'd' | 'w', number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** Progress of a CloudWatch read, reported after every page. */
export interface CloudWatchProgress {
  readonly pages: number
  readonly events: number
  /** Share of the time range covered so far, 0 to 1 (pages come in time order). */
  readonly fraction: number
}

/** A CloudWatch Logs log group to read with FilterLogEvents. */
export interface CloudWatchSource {
  /** Log group name (`/aws/lambda/<function>`) or ARN. */
  logGroup: string
  /** How far back: `30s`, `90m`, `24h`, `7d`, `1w`, an ISO date, or milliseconds. Default `24h`. */
  since?: string | number
  /** End of the range, epoch ms. Default now. */
  until?: number
  region?: string
  /** A client of your own (credentials, endpoint); default `new CloudWatchLogsClient({ region })`. */
  client?: CloudWatchLogsClient
  /** CloudWatch filter pattern; default `"lifecycle_schema"`; `null` reads every line. */
  filterPattern?: string | null
  onProgress?: (progress: CloudWatchProgress) => void
  /** Retries of a throttled page. Default 6. */
  maxRetries?: number
  /** First retry delay (doubles each retry, with jitter). Default 250 ms. */
  retryBaseMs?: number
}

/** The log group does not exist (or not in this region / account). */
export class LogGroupNotFoundError extends Error {
  constructor(logGroup: string, region: string | undefined, cause: unknown) {
    super(
      `${PACKAGE}: log group ${logGroup} not found${region ? ` in ${region}` : ''}; check its name (/aws/lambda/<function>), the region and the account`,
      { cause: { package: PACKAGE, error: cause } },
    )
    this.name = 'LogGroupNotFoundError'
  }
}

/** The credentials in use may not read the log group. */
export class LogAccessDeniedError extends Error {
  /** `actions`: the permissions the read needs, as the message names them. */
  constructor(logGroup: string, cause: unknown, actions = 'logs:FilterLogEvents') {
    super(
      `${PACKAGE}: access denied reading ${logGroup}; the credentials need ${actions} on arn:aws:logs:<region>:<account>:log-group:${logGroup}:*`,
      { cause: { package: PACKAGE, error: cause } },
    )
    this.name = 'LogAccessDeniedError'
  }
}

/**
 * Turns `--since` into an epoch ms start time.
 *
 * @example
 * ```ts
 * sinceToStartTime('24h', Date.parse('2026-11-27T12:00:00Z')) // Date.parse('2026-11-26T12:00:00Z')
 * ```
 */
export const sinceToStartTime = (since: string | number, now: number): number => {
  if (typeof since === 'number' && Number.isFinite(since) && since >= 0) return now - since
  const match = typeof since === 'string' ? /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(since.trim()) : null
  if (match) return now - Number(match[1]) * UNITS_MS[match[2] as keyof typeof UNITS_MS]
  const at = typeof since === 'string' ? Date.parse(since) : Number.NaN
  if (Number.isNaN(at)) {
    throw new TypeError(
      `${PACKAGE}: since must be a duration like 30s, 90m, 24h, 7d, 1w or an ISO date, got ${since}`,
      {
        cause: { package: PACKAGE },
      },
    )
  }
  return at
}

const errorName = (error: unknown): string | undefined => (error as { name?: string } | null)?.name

const createClient = async (region: string | undefined): Promise<CloudWatchLogsClient> => {
  // Loaded on demand: reading files should not pay for the SDK's import.
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs')
  return new CloudWatchLogsClient(region ? { region } : {})
}

/**
 * Reads the lines of a log group through FilterLogEvents, page after page, retrying throttled pages with
 * exponential backoff. Missing permissions and unknown groups become {@link LogAccessDeniedError} and
 * {@link LogGroupNotFoundError}.
 *
 * @example
 * ```ts
 * import { buildReport, readCloudWatchLines } from '@lambda-lifetime/report'
 *
 * const model = await buildReport(readCloudWatchLines({ logGroup: '/aws/lambda/orders', since: '24h' }))
 * ```
 */
export async function* readCloudWatchLines(source: CloudWatchSource): AsyncGenerator<string> {
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs')
  const client = source.client ?? (await createClient(source.region))
  const endTime = source.until ?? Date.now()
  const startTime = sinceToStartTime(source.since ?? '24h', endTime)
  const filterPattern = source.filterPattern === undefined ? DEFAULT_FILTER_PATTERN : source.filterPattern
  const group = source.logGroup.startsWith('arn:')
    ? { logGroupIdentifier: source.logGroup }
    : { logGroupName: source.logGroup }
  let nextToken: string | undefined
  let pages = 0
  let events = 0
  do {
    const command = new FilterLogEventsCommand({
      ...group,
      startTime,
      endTime,
      nextToken,
      ...(filterPattern === null ? {} : { filterPattern }),
    })
    const page = await sendWithRetry(() => client.send(command), source)
    pages += 1
    let lastAt = startTime
    for (const event of page.events ?? []) {
      events += 1
      lastAt = Math.max(lastAt, event.timestamp ?? lastAt)
      // One CloudWatch event may hold several lines (a multi-line print).
      for (const line of (event.message ?? '').split('\n')) yield line
    }
    nextToken = page.nextToken
    const fraction = nextToken ? Math.min(1, (lastAt - startTime) / Math.max(1, endTime - startTime)) : 1
    source.onProgress?.({ pages, events, fraction })
  } while (nextToken)
}

const sendWithRetry = async (
  send: () => Promise<FilterLogEventsCommandOutput>,
  source: CloudWatchSource,
): Promise<FilterLogEventsCommandOutput> => {
  const maxRetries = source.maxRetries ?? 6
  const baseMs = source.retryBaseMs ?? 250
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await send()
    } catch (error) {
      const name = errorName(error)
      if (name === 'AccessDeniedException') throw new LogAccessDeniedError(source.logGroup, error)
      if (name === 'ResourceNotFoundException')
        throw new LogGroupNotFoundError(source.logGroup, source.region, error)
      if (name !== 'ThrottlingException' || attempt >= maxRetries) throw error
      await sleep(baseMs * 2 ** attempt * (0.5 + Math.random() / 2))
    }
  }
}
