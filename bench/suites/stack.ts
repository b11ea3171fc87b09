/**
 * The full stack of middlewares, in the order users write it, with in-memory resources (no I/O) so that
 * the case measures the middlewares, not a database.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import { containerLifetime } from '@lambda-lifetime/container'
import { loadExport } from '../harness/cases.js'

// biome-ignore lint/suspicious/noExplicitAny: middlewares of every package, typed by their own packages
type AnyMiddleware = any
type Factory = (options: object) => AnyMiddleware

interface StackContext {
  readonly db: { query(sql: string): Promise<unknown> }
  readonly breakers: { readonly payments: { fire(amount: number): Promise<unknown> } }
}

export interface Stack {
  readonly middlewares: AnyMiddleware[]
  readonly handler: (event: unknown, context: StackContext) => Promise<unknown>
  readonly note: string
}

/**
 * One options object per name, built once: a second registration of a name with other options (new
 * closures are other functions) is refused, so building the stack twice in one process must reuse them.
 */
const resource = { query: async (sql: string) => sql.length }
const POOL_OPTIONS = { name: 'db', create: () => resource }
const BREAKER_OPTIONS = { name: 'payments', action: async (amount: number) => amount }

/** The stack, or why it cannot be built yet. */
export const fullStackMiddlewares = async (logger: Logger): Promise<Stack | string> => {
  const factories = {
    lifecycleLogger: await loadExport<Factory>('@lambda-lifetime/logger', 'lifecycleLogger'),
    warmPool: await loadExport<Factory>('@lambda-lifetime/pool', 'warmPool'),
    circuitBreaker: await loadExport<Factory>('@lambda-lifetime/breaker', 'circuitBreaker'),
  }
  const missing = Object.entries(factories).filter(([, factory]) => factory === undefined)
  if (missing.length > 0) return `not landed yet: ${missing.map(([name]) => name).join(', ')}`
  const { lifecycleLogger, warmPool, circuitBreaker } = factories as Record<keyof typeof factories, Factory>
  return {
    middlewares: [
      containerLifetime(),
      lifecycleLogger({ logger }),
      warmPool(POOL_OPTIONS),
      circuitBreaker(BREAKER_OPTIONS),
    ],
    handler: async (_event: unknown, context: StackContext) => {
      await context.db.query('select 1')
      await context.breakers.payments.fire(10)
      return { statusCode: 200, body: '{"ok":true}' }
    },
    note: 'the handler runs one query on the in-memory pooled resource and one breaker fire()',
  }
}
