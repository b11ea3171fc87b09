import type { Emulator, EmulatorEvent, FunctionConfig, LifetimeRules } from '@lambda-lifetime/emulator'
import type { PaymentsServer } from './payments.mjs'
import type { PostgresServer } from './postgres.mjs'

export declare const BREAKER_TABLE: string

export interface LocalStackOptions {
  /** HTTP front door port. Default 0: any free port. */
  httpPort?: number
  /** Lambda Invoke API port. Default 0: any free port. */
  invokePort?: number
  /** Where the emulator writes the log streams. Default: the emulator's. */
  logDir?: string
  /** Lifetime rules for both functions (idle timeout, concurrency, ...). */
  rules?: LifetimeRules
  /** Extra environment of the orders-api function (BREAKER_RESET_MS, PAYMENTS_TIMEOUT_MS, ...). */
  ordersEnv?: Record<string, string>
  onEvent?: (event: EmulatorEvent) => void
  /** More functions beside the two examples (tests use it to serve a fixture). */
  extraFunctions?: FunctionConfig[]
  /** More HTTP routes, `{ '/prefix': 'function' }`, beside `/hello`. */
  extraRoutes?: Record<string, string>
  log?: (line: string) => void
}

/** One part of the stack that `stop()` stopped. */
export interface StoppedPart {
  /** What it was, for people: "the emulator and its environments", "PostgreSQL, its data folder … removed". */
  readonly name: string
  readonly error?: unknown
}

export interface LocalStack {
  readonly emulator: Emulator
  /** The emulator's HTTP front door: `/hello…` → hello, everything else → orders-api. */
  readonly httpUrl: string
  readonly postgres: PostgresServer
  readonly dynamo: { readonly endpoint: string; stop(): Promise<void> }
  readonly payments: PaymentsServer
  /**
   * Stops the emulator (environments get Lambda's shutdown), then the services. Safe to call twice.
   * Resolves with what was stopped, in order, each with the error stopping it met, if any.
   */
  stop(): Promise<StoppedPart[]>
}

export function startLocalStack(options?: LocalStackOptions): Promise<LocalStack>
