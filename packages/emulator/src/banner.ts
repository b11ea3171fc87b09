/** What the `serve` banner suggests trying. */
import type { EmulatorOptions } from './types.js'

/**
 * A front-door path that reaches a served function: the route of the function behind the front door
 * when it has one, else `/` (without routes every path goes to that function).
 *
 * @example
 * ```ts
 * suggestedPath({ functions: [fn], httpRoutes: { '/orders': 'orders' } }) // '/orders'
 * suggestedPath({ functions: [fn] }) // '/'
 * ```
 */
export const suggestedPath = (
  options: Pick<EmulatorOptions, 'functions' | 'httpFunction' | 'httpRoutes'>,
): string => {
  const routes = Object.entries(options.httpRoutes ?? {})
  if (routes.length === 0) return '/'
  const fallback = options.httpFunction ?? options.functions[0]?.name
  const [prefix] = routes.find(([, name]) => name === fallback) ?? (routes[0] as [string, string])
  return prefix.startsWith('/') ? prefix : `/${prefix}`
}
