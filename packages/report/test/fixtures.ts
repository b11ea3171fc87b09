/** Hand-made lifecycle lines with known answers, shared by the report's tests. */
export const T0 = Date.parse('2026-11-27T06:00:00.000Z')

const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString()

interface LineSpec {
  at: number
  container: string
  environment: string
  startedAt: number
  worker?: number
  fields?: Record<string, unknown>
}

/** A lifecycle line as Powertools Logger prints it (bare JSON). */
export const lifecycleLine = ({
  at,
  container,
  environment,
  startedAt,
  worker,
  fields = {},
}: LineSpec): string =>
  JSON.stringify({
    level: 'INFO',
    message: String(fields.event ?? 'log'),
    timestamp: iso(at),
    service: 'orders',
    function_name: 'orders-api',
    lifecycle_schema: 1,
    container_id: container,
    environment_id: environment,
    ...(worker === undefined ? {} : { worker_id: worker }),
    container_age_ms: at - startedAt,
    ...fields,
  })

/** The same line as the runtime client's text format prints a console.log of it. */
export const textFormat = (line: string, requestId = 'req-1'): string => {
  const { timestamp } = JSON.parse(line) as { timestamp: string }
  return `${timestamp}\t${requestId}\tINFO\t${line}`
}

/** The same line as the runtime client's JSON format (AWS_LAMBDA_LOG_FORMAT=JSON) prints console.log(object). */
export const jsonFormat = (line: string, requestId = 'req-1'): string => {
  const parsed = JSON.parse(line) as { timestamp: string }
  return JSON.stringify({ timestamp: parsed.timestamp, level: 'INFO', requestId, message: parsed })
}

const E1 = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'
const E2 = '2026/11/27/[$LATEST]fedcba9876543210fedcba9876543210'

const inv = (invocation: number, startType: string, idle: number, extra: Record<string, unknown> = {}) => ({
  invocation,
  cold_start: startType === 'cold',
  start_type: startType,
  idle_ms: idle,
  ...extra,
})

/**
 * Four containers in two environments:
 * - c1 (E1): cold, 3 invocations (the third fails), then crashes (no shutdown line); lifetime 120,600 ms.
 * - c2 (E1): restart of c1, cold, 2 invocations, shutdown (spindown) at +300,000; lifetime 179,000 ms.
 * - c3 (E2, worker 1): Managed Instances, pre-initialized, 4 invocations of which only 2 logged
 *   (sampling), breaker opens, an application line last at +40,000; lifetime 40,000 ms.
 * - c4 (E2, worker 2): no container.start line (log starts mid-life), 2 invocations, breaker closes,
 *   shutdown (timeout) at +50,000; lifetime 50,000 ms.
 * Lines of c3 and c4 interleave. Mixed in: 3 platform lines, 2 text lines, 2 other JSON lines, 2 invalid
 * lifecycle lines, 2 lines of schema 3 (newer than the reader).
 */
export const knownLog = (): string[] => {
  const c1 = { container: 'c1-aaaaaaaa', environment: E1, startedAt: 0 }
  const c2 = { container: 'c2-bbbbbbbb', environment: E1, startedAt: 121_000 }
  const c3 = { container: 'c3-cccccccc', environment: E2, startedAt: 0, worker: 1 }
  const c4 = { container: 'c4-dddddddd', environment: E2, startedAt: 0, worker: 2 }
  const end = (outcome = 'success') => ({ event: 'invocation.end', duration_ms: 100, outcome })
  return [
    'START RequestId: 1 Version: $LATEST',
    lifecycleLine({
      ...c1,
      at: 500,
      fields: {
        event: 'container.start',
        init_type: 'on-demand',
        since_runtime_start_ms: 500,
        runtime_started_at: iso(0),
        ...inv(1, 'cold', 0),
      },
    }),
    textFormat(lifecycleLine({ ...c1, at: 600, fields: { ...end(), ...inv(1, 'cold', 0) } })),
    'END RequestId: 1',
    'REPORT RequestId: 1\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB',
    lifecycleLine({
      ...c3,
      at: 1_000,
      fields: { event: 'container.start', runtime_started_at: iso(0), ...inv(1, 'pre-initialized', 0) },
    }),
    lifecycleLine({ ...c4, at: 1_200, fields: { ...end(), ...inv(1, 'pre-initialized', 0) } }),
    lifecycleLine({ ...c3, at: 3_000, fields: { ...end(), ...inv(2, 'warm', 1_000), sample_rate: 0.5 } }),
    lifecycleLine({ ...c4, at: 2_000, fields: { ...end(), ...inv(2, 'warm', 500) } }),
    jsonFormat(
      lifecycleLine({
        ...c3,
        at: 5_000,
        fields: { event: 'breaker.open', breaker: 'payments', failures: 5 },
      }),
    ),
    'plain text from the handler',
    `${iso(5_500)}\treq-9\tINFO\tfetched {3} orders`,
    lifecycleLine({ ...c3, at: 9_000, fields: { ...end(), ...inv(4, 'warm', 2_000), sample_rate: 0.5 } }),
    lifecycleLine({ ...c4, at: 20_000, fields: { event: 'breaker.close', breaker: 'payments' } }),
    JSON.stringify({ level: 'INFO', message: 'order stored', order_id: 'o-1' }),
    JSON.stringify({ time: iso(21_000), type: 'platform.report', record: {} }),
    lifecycleLine({
      ...c3,
      at: 40_000,
      fields: { message: 'user line with container keys', ...inv(4, 'warm', 2_000) },
    }),
    lifecycleLine({
      ...c4,
      at: 50_000,
      fields: { event: 'container.shutdown', invocations: 2, reason: 'timeout' },
    }),
    lifecycleLine({ ...c1, at: 60_000, fields: { event: 'container.thaw', ...inv(2, 'warm', 59_400) } }),
    lifecycleLine({ ...c1, at: 60_600, fields: { ...end(), ...inv(2, 'warm', 59_400) } }),
    '{"level":"INFO","lifecycle_schema":1,"container_id":"broken","ev',
    JSON.stringify({ lifecycle_schema: 1, timestamp: iso(61_000), event: 'invocation.end' }),
    JSON.stringify({ lifecycle_schema: 3, container_id: 'future', timestamp: iso(61_000), event: 'x' }),
    JSON.stringify({ lifecycle_schema: 3, container_id: 'future', timestamp: iso(61_100), event: 'x' }),
    lifecycleLine({
      ...c1,
      at: 120_600,
      fields: { ...end('error'), ...inv(3, 'warm', 59_900), error_name: 'Error' },
    }),
    '',
    lifecycleLine({
      ...c2,
      at: 121_400,
      fields: {
        event: 'container.start',
        runtime_started_at: iso(121_000),
        restart_of: c1.container,
        ...inv(1, 'cold', 0),
      },
    }),
    lifecycleLine({ ...c2, at: 121_500, fields: { ...end(), ...inv(1, 'cold', 0) } }),
    lifecycleLine({ ...c2, at: 181_500, fields: { ...end(), ...inv(2, 'warm', 60_000) } }),
    lifecycleLine({
      ...c2,
      at: 300_000,
      fields: { event: 'container.shutdown', invocations: 2, reason: 'spindown' },
    }),
  ]
}
