/**
 * The body of a Telemetry API subscription (`PUT /2022-07-01/telemetry`), checked as Lambda checks
 * it: a schema version Lambda knows, one or more of its three types, an HTTP or TCP destination
 * inside the sandbox, and buffering within Lambda's bounds. A bad body gets Lambda's answer, 400
 * `ValidationError` with the reason.
 */
import { findProblem, rules } from '@lambda-lifetime/commons'

/** The schema versions Lambda accepts (2025-01-29 is the one Managed Instances require). */
export const TELEMETRY_SCHEMA_VERSIONS = ['2022-07-01', '2022-12-13', '2025-01-29'] as const
export type TelemetrySchemaVersion = (typeof TELEMETRY_SCHEMA_VERSIONS)[number]

export const TELEMETRY_TYPES = ['platform', 'function', 'extension'] as const
export type TelemetryType = (typeof TELEMETRY_TYPES)[number]

/**
 * Lambda's bounds and defaults for `buffering` (the Telemetry API guide's table, and the schema the
 * runtime interface emulator checks subscriptions with).
 */
export const BUFFERING_LIMITS = {
  maxItems: { min: 1_000, max: 10_000, default: 10_000 },
  maxBytes: { min: 262_144, max: 1_048_576, default: 262_144 },
  timeoutMs: { min: 25, max: 30_000, default: 1_000 },
} as const

export interface Buffering {
  readonly maxItems: number
  readonly maxBytes: number
  readonly timeoutMs: number
}

/** Where the batches go: always the emulator's loopback, as `sandbox.localdomain` is the sandbox itself. */
export interface TelemetryDestination {
  readonly protocol: 'HTTP' | 'TCP'
  readonly host: '127.0.0.1'
  readonly port: number
  /** The URI's path and query (HTTP only). */
  readonly path: string
}

export interface TelemetrySubscription {
  readonly schemaVersion: TelemetrySchemaVersion
  readonly types: readonly TelemetryType[]
  readonly destination: TelemetryDestination
  readonly buffering: Buffering
}

/** Lambda's 400 answer to a subscription it refuses. */
export interface SubscriptionRefusal {
  readonly errorType: 'ValidationError'
  readonly errorMessage: string
}

/** Host names that mean the sandbox itself in a destination URI. */
const SANDBOX_HOSTS = new Set(['sandbox.localdomain', 'sandbox'])

const bufferingRule = (name: keyof Buffering) =>
  rules.number({ integer: true, min: BUFFERING_LIMITS[name].min, max: BUFFERING_LIMITS[name].max })

const SCHEMA = {
  schemaVersion: rules.oneOf(TELEMETRY_SCHEMA_VERSIONS),
  types: rules.arrayOf(rules.oneOf(TELEMETRY_TYPES), { nonEmpty: true }),
  destination: rules.objectOf(
    {
      protocol: rules.oneOf(['HTTP', 'TCP']),
      URI: rules.string({ nonEmpty: true }),
      port: rules.number({ integer: true, min: 1, max: 65_535 }),
    },
    { required: ['protocol'], allowUnknown: true },
  ),
  buffering: rules.objectOf(
    {
      maxItems: bufferingRule('maxItems'),
      maxBytes: bufferingRule('maxBytes'),
      timeoutMs: bufferingRule('timeoutMs'),
    },
    { allowUnknown: true },
  ),
}

const refuse = (errorMessage: string): SubscriptionRefusal => ({ errorType: 'ValidationError', errorMessage })

/** The destination URI's port and path, when its host is the sandbox; else why not. */
const parseUri = (uri: string): { port: number; path: string } | string => {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return `destination.URI is not a URI: ${JSON.stringify(uri)}`
  }
  if (!SANDBOX_HOSTS.has(url.hostname)) {
    return `destination.URI host must be sandbox.localdomain (telemetry stays inside the execution environment), got ${JSON.stringify(url.hostname)}`
  }
  if (url.port === '') return 'destination.URI port is not provided'
  return { port: Number(url.port), path: `${url.pathname}${url.search}` }
}

const parseDestination = (destination: {
  protocol: 'HTTP' | 'TCP'
  URI?: string
  port?: number
}): TelemetryDestination | string => {
  const { protocol } = destination
  if (protocol === 'HTTP' && destination.URI === undefined) return 'destination.URI is required for HTTP'
  if (destination.URI === undefined) {
    // TCP names its port alone (the 2025-01-29 schema) or a URI on the sandbox.
    if (destination.port === undefined) return 'destination.port is required for TCP'
    return { protocol, host: '127.0.0.1', port: destination.port, path: '/' }
  }
  const parsed = parseUri(destination.URI)
  if (typeof parsed === 'string') return parsed
  return { protocol, host: '127.0.0.1', ...parsed }
}

/**
 * Reads a subscription request body: the subscription, or Lambda's refusal with the reason.
 *
 * @example
 * ```ts
 * parseSubscription(Buffer.from(JSON.stringify({
 *   schemaVersion: '2022-12-13',
 *   types: ['platform'],
 *   destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243/telemetry' },
 * })))
 * // { schemaVersion: '2022-12-13', types: ['platform'], destination: { protocol: 'HTTP', host: '127.0.0.1',
 * //   port: 4243, path: '/telemetry' }, buffering: { maxItems: 10000, maxBytes: 262144, timeoutMs: 1000 } }
 * ```
 */
export const parseSubscription = (body: Buffer): TelemetrySubscription | SubscriptionRefusal => {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return refuse('the request body is not JSON')
  }
  const problem = findProblem(SCHEMA, parsed, {
    required: ['schemaVersion', 'types', 'destination'],
    allowUnknown: true,
  })
  if (problem !== undefined) return refuse(`${problem.path || 'body'} ${problem.problem}`)
  const request = parsed as {
    schemaVersion: TelemetrySchemaVersion
    types: TelemetryType[]
    destination: { protocol: 'HTTP' | 'TCP'; URI?: string; port?: number }
    buffering?: Partial<Buffering>
  }
  const destination = parseDestination(request.destination)
  if (typeof destination === 'string') return refuse(destination)
  return {
    schemaVersion: request.schemaVersion,
    types: [...new Set(request.types)],
    destination,
    buffering: {
      maxItems: request.buffering?.maxItems ?? BUFFERING_LIMITS.maxItems.default,
      maxBytes: request.buffering?.maxBytes ?? BUFFERING_LIMITS.maxBytes.default,
      timeoutMs: request.buffering?.timeoutMs ?? BUFFERING_LIMITS.timeoutMs.default,
    },
  }
}

/**
 * A parse result is a refusal.
 *
 * @example
 * ```ts
 * const parsed = parseSubscription(body)
 * if (isRefusal(parsed)) sendJson(response, 400, parsed) // { errorType: 'ValidationError', errorMessage }
 * ```
 */
export const isRefusal = (
  result: TelemetrySubscription | SubscriptionRefusal,
): result is SubscriptionRefusal => 'errorType' in result
