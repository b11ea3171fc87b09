/**
 * The full stack of middlewares, in the order users write it, with in-memory resources (no I/O) so that
 * the case measures the middlewares, not a database.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import { loadExport } from '../harness/cases.js'

// biome-ignore lint/suspicious/noExplicitAny: middlewares of every package, typed by their own packages
type AnyMiddleware = any
type Factory = (options: object) => AnyMiddleware

export interface Stack {
  readonly middlewares: AnyMiddleware[]
  readonly handler: () => Promise<unknown>
  readonly note: string
}

/** The stack, or why it cannot be built yet. */
export const fullStackMiddlewares = async (logger: Logger): Promise<Stack | string> => {
  const factories = {
    lifecycleLogger: await loadExport<Factory>('@lambda-lifetime/logger', 'lifecycleLogger'),
    warmPool: await loadExport<Factory>('@lambda-lifetime/pool', 'warmPool'),
    circuitBreaker: await loadExport<Factory>('@lambda-lifetime/breaker', 'circuitBreaker'),
  }
  const missing = Object.entries(factories).filter(([, factory]) => factory === undefined)
  if (missing.length > 0) return `not landed yet: ${missing.map(([name]) => name).join(', ')}`
  return `not wired yet (logger ${logger.getLevelName()})`
}
