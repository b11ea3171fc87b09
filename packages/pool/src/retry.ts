import { optionError, rules, validateOptions } from '@lambda-lifetime/commons'
import { PACKAGE } from './errors.js'
import { acquire, leasesOf, markBrokenIf, release } from './registry.js'
import type { RetryIdempotentOptions } from './types.js'

const schema = { retries: rules.number({ integer: true, min: 0 }) }

/**
 * Runs an operation on the invocation's warm resource and, only when it fails with a connection-level
 * error (the pool's `isBroken`), marks that resource broken, swaps in a fresh one (also on `context[name]`)
 * and runs the operation again, up to `retries` times. Any other error is thrown at once.
 *
 * The pool never retries by itself: repeating an operation is safe only when it is idempotent (a read, an
 * upsert by key, a PUT), which only the caller knows. Call this for those operations, and only those.
 *
 * @example
 * ```ts
 * .handler(async (event, context) => {
 *   const user = await retryIdempotent(context, 'db', (db) => db.query('select * from users where id = $1', [event.id]))
 *   await context.db.query('insert into audit ...') // not idempotent: never retried
 * })
 * ```
 */
export const retryIdempotent = async <
  TContext extends object,
  TName extends keyof TContext & string,
  TResult,
>(
  context: TContext,
  name: TName,
  operation: (resource: TContext[TName]) => TResult | PromiseLike<TResult>,
  options: RetryIdempotentOptions = {},
): Promise<Awaited<TResult>> => {
  validateOptions(PACKAGE, schema, options, { label: 'retryIdempotent options' })
  const retries = options.retries ?? 1
  const lease = leasesOf(context).get(name)
  if (lease === undefined || lease.released) {
    throw optionError(
      PACKAGE,
      `retryIdempotent: no warm resource "${name}" is held by this invocation; use warmPool({ name: '${name}' })`,
    )
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(lease.slot.value as TContext[TName])
    } catch (error) {
      if (attempt >= retries || !markBrokenIf(lease, error)) throw error
      release(lease)
      lease.slot = await acquire(lease.entry, context)
      lease.released = false
      ;(context as Record<string, unknown>)[name] = lease.slot.value
    }
  }
}
