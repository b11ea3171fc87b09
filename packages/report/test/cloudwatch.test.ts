import {
  AccessDeniedException,
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  type CloudWatchProgress,
  LogAccessDeniedError,
  LogGroupNotFoundError,
  readCloudWatchLines,
  sinceToStartTime,
} from '@lambda-lifetime/report'
import { mockClient } from 'aws-sdk-client-mock'

const NOW = Date.parse('2026-11-27T12:00:00Z')
const HOUR = 3_600_000
const logs = mockClient(CloudWatchLogsClient)
const metadata = { $metadata: {} }

const collect = async (lines: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = []
  for await (const line of lines) all.push(line)
  return all
}

describe('readCloudWatchLines', () => {
  afterEach(() => {
    logs.reset()
  })

  it('follows nextToken through every page, asks for lifecycle lines only, and reports progress', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [{ message: 'p1-a', timestamp: NOW - 18 * HOUR }, { message: 'p1-b' }],
        nextToken: 't1',
      })
      .resolvesOnce({ events: [{ message: 'p2-a\np2-b\n', timestamp: NOW - 6 * HOUR }], nextToken: 't2' })
      .resolvesOnce({ events: [{}] })
    const progress: CloudWatchProgress[] = []

    // Act
    const lines = await collect(
      readCloudWatchLines({
        logGroup: '/aws/lambda/orders',
        since: '24h',
        until: NOW,
        client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
        onProgress: (report) => progress.push(report),
      }),
    )

    // Assess
    expect(lines).toEqual(['p1-a', 'p1-b', 'p2-a', 'p2-b', '', ''])
    const inputs = logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input)
    expect(inputs.map((input) => input.nextToken)).toEqual([undefined, 't1', 't2'])
    expect(inputs[0]).toMatchObject({
      logGroupName: '/aws/lambda/orders',
      startTime: NOW - 24 * HOUR,
      endTime: NOW,
      filterPattern: '"lifecycle_schema"',
    })
    expect(progress).toEqual([
      { pages: 1, events: 2, fraction: 0.25 },
      { pages: 2, events: 3, fraction: 0.75 },
      { pages: 3, events: 4, fraction: 1 },
    ])
  })

  it('retries a throttled page with backoff, then goes on', async () => {
    // Prepare
    const throttled = new ThrottlingException({ message: 'Rate exceeded', ...metadata })
    logs
      .on(FilterLogEventsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolvesOnce({ events: [{ message: 'after retries' }] })

    // Act
    const lines = await collect(
      readCloudWatchLines({ logGroup: 'g', client: new CloudWatchLogsClient({}), retryBaseMs: 1 }),
    )

    // Assess
    expect(lines).toEqual(['after retries'])
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(3)
  })

  it('gives up after maxRetries throttled attempts with the throttling error', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', ...metadata }))

    // Act
    const reading = collect(
      readCloudWatchLines({
        logGroup: 'g',
        client: new CloudWatchLogsClient({}),
        retryBaseMs: 1,
        maxRetries: 2,
      }),
    )

    // Assess
    await expect(reading).rejects.toThrow('Rate exceeded')
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(3)
  })

  it('explains access denied with the permission to grant', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .rejects(new AccessDeniedException({ message: 'not authorized', ...metadata }))

    // Act
    const reading = collect(
      readCloudWatchLines({ logGroup: '/aws/lambda/orders', client: new CloudWatchLogsClient({}) }),
    )

    // Assess
    await expect(reading).rejects.toThrow(LogAccessDeniedError)
    await expect(reading).rejects.toThrow(
      'access denied reading /aws/lambda/orders; the credentials need logs:FilterLogEvents',
    )
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(1)
  })

  it('explains an unknown log group, naming the region', async () => {
    // Prepare
    logs
      .on(FilterLogEventsCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', ...metadata }),
      )

    // Act
    const inRegion = collect(readCloudWatchLines({ logGroup: '/aws/lambda/nope', region: 'eu-west-1' }))
    const anywhere = collect(
      readCloudWatchLines({ logGroup: '/aws/lambda/nope', client: new CloudWatchLogsClient({}) }),
    )

    // Assess
    await expect(inRegion).rejects.toThrow(LogGroupNotFoundError)
    await expect(inRegion).rejects.toThrow('log group /aws/lambda/nope not found in eu-west-1')
    await expect(anywhere).rejects.toThrow('log group /aws/lambda/nope not found; check its name')
  })

  it('passes an ARN as logGroupIdentifier and can read every line', async () => {
    // Prepare
    logs.on(FilterLogEventsCommand).resolves({})
    const arn = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders'

    // Act
    await collect(
      readCloudWatchLines({ logGroup: arn, filterPattern: null, client: new CloudWatchLogsClient({}) }),
    )

    // Assess
    const input = logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input
    expect(input).toMatchObject({ logGroupIdentifier: arn })
    expect(input).not.toHaveProperty('logGroupName')
    expect(input).not.toHaveProperty('filterPattern')
  })
})

describe('sinceToStartTime', () => {
  it.each([
    ['90m', NOW - 90 * 60_000],
    ['24h', NOW - 24 * HOUR],
    ['1.5d', NOW - 36 * HOUR],
    ['1w', NOW - 168 * HOUR],
    ['30s', NOW - 30_000],
    [5_000, NOW - 5_000],
    ['2026-11-27T00:00:00Z', Date.parse('2026-11-27T00:00:00Z')],
  ])('turns %j into a start time', (since, expected) => {
    // Act / Assess
    expect(sinceToStartTime(since, NOW)).toBe(expected)
  })

  it.each(['yesterday', -5, '5y'])('rejects %j', (since) => {
    // Act / Assess
    expect(() => sinceToStartTime(since, NOW)).toThrow(
      'since must be a duration like 30s, 90m, 24h, 7d, 1w or an ISO date',
    )
  })
})
