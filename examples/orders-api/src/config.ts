/**
 * The function's settings, all from its environment (set by the CDK stack on AWS, by
 * `scripts/start.mjs` locally). Read once at init: Lambda never changes a function's environment
 * while its containers live.
 */
export interface OrdersConfig {
  /** PostgreSQL connection string. */
  readonly databaseUrl: string
  /** Base URL of the payments service; the function posts to `${paymentsUrl}/charges`. */
  readonly paymentsUrl: string
  /** DynamoDB table holding the fleet-wide breaker state. */
  readonly breakerTable: string
  /** Endpoint of a local DynamoDB-API server (dynalite); unset on AWS. */
  readonly dynamoDbEndpoint: string | undefined
  /** Milliseconds a payment call may take before the breaker counts it as failed. */
  readonly paymentsTimeoutMs: number
  /** Milliseconds the breaker stays open before it lets one probe through. */
  readonly breakerResetMs: number
  /** Idle milliseconds after which the database pool is checked before the handler gets it. */
  readonly poolValidateAfterIdleMs: number
  /**
   * Response header that carries the container id on every answer, errors included; unset (no header) by
   * default, since it discloses an internal id. The local stack sets it to see which container answered.
   */
  readonly containerIdHeader: string | false
}

const required = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name]
  if (value === undefined || value === '')
    throw new Error(`orders-api: environment variable ${name} is not set`)
  return value
}

const positiveNumber = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`orders-api: environment variable ${name} must be a positive number, got "${raw}"`)
  }
  return value
}

/**
 * Reads the settings and fails the init with a clear message when one is missing.
 *
 * @example
 * ```ts
 * const config = readConfig() // { databaseUrl: 'postgres://…', paymentsUrl: 'http://…', … }
 * ```
 */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): OrdersConfig => ({
  databaseUrl: required(env, 'DATABASE_URL'),
  paymentsUrl: required(env, 'PAYMENTS_URL').replace(/\/+$/, ''),
  breakerTable: required(env, 'BREAKER_TABLE'),
  dynamoDbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
  paymentsTimeoutMs: positiveNumber(env, 'PAYMENTS_TIMEOUT_MS', 1_500),
  breakerResetMs: positiveNumber(env, 'BREAKER_RESET_MS', 10_000),
  poolValidateAfterIdleMs: positiveNumber(env, 'POOL_VALIDATE_AFTER_IDLE_MS', 60_000),
  containerIdHeader: env.CONTAINER_ID_HEADER || false,
})
