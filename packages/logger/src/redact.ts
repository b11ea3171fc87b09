/**
 * A safe, redacted copy of an incoming event for `logEvent`. Events come from outside: they may be
 * circular, deeper than a JSON walk can go, huge, or full of credentials. The copy is plain JSON-like
 * data, bounded in depth and size, so that Powertools can merge and print it without failing.
 */

export const REDACTED = '[REDACTED]'
/** Header names that carry credentials; `cookies` is where API Gateway HTTP APIs (payload 2.0) put them. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'cookies', 'set-cookie', 'x-api-key']
/** Deeper than any AWS event shape; bounds the walk and the recursion of whoever prints the copy. */
export const MAX_DEPTH = 24
/** What a scalar roughly costs in JSON, for the size budget. */
const SCALAR_BYTES = 8

interface PathNode {
  terminal: boolean
  readonly children: Map<string, PathNode>
  any: PathNode | undefined
}

export interface Redaction {
  /** Lower-case key names redacted wherever they appear. */
  readonly names: ReadonlySet<string>
  readonly paths: PathNode
  readonly maxBytes: number
}

export interface SanitizedEvent {
  readonly value: unknown
  readonly truncated: boolean
}

interface Walk {
  readonly redaction: Redaction
  readonly ancestors: object[]
  budget: number
  truncated: boolean
}

const newNode = (): PathNode => ({ terminal: false, children: new Map(), any: undefined })

const addPath = (root: PathNode, path: string): void => {
  let node = root
  for (const segment of path.split('.')) {
    if (segment === '*') {
      node.any ??= newNode()
      node = node.any
    } else {
      let child = node.children.get(segment)
      if (child === undefined) {
        child = newNode()
        node.children.set(segment, child)
      }
      node = child
    }
  }
  node.terminal = true
}

/** Compiles the redaction settings once, when the middleware is created. */
export const createRedaction = (
  headers: readonly string[],
  paths: readonly string[],
  maxBytes: number,
): Redaction => {
  const root = newNode()
  for (const path of paths) addPath(root, path)
  const names = new Set([...CREDENTIAL_HEADERS, ...headers].map((name) => name.toLowerCase()))
  return { names, paths: root, maxBytes }
}

const NO_NODES: readonly PathNode[] = []

const childNodes = (nodes: readonly PathNode[], key: string): readonly PathNode[] => {
  if (nodes.length === 0) return NO_NODES
  const next: PathNode[] = []
  for (const node of nodes) {
    const child = node.children.get(key)
    if (child !== undefined) next.push(child)
    if (node.any !== undefined) next.push(node.any)
  }
  return next
}

const isRedacted = (walk: Walk, key: string, nodes: readonly PathNode[]): boolean =>
  walk.redaction.names.has(key.toLowerCase()) || nodes.some((node) => node.terminal)

const copyString = (walk: Walk, value: string): string => {
  walk.budget -= value.length + 2
  if (walk.budget >= 0) return value
  walk.truncated = true
  const kept = Math.max(0, value.length + walk.budget)
  walk.budget = 0
  return `${value.slice(0, kept)}…`
}

const readProperty = (value: object, key: string): unknown => {
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return '[Unreadable]'
  }
}

const copyEntries = (walk: Walk, value: object, depth: number, nodes: readonly PathNode[]): unknown => {
  const isArray = Array.isArray(value)
  const copy: unknown[] | Record<string, unknown> = isArray ? [] : {}
  for (const key of Object.keys(value)) {
    // Powertools drops this key when it merges attributes; assigning it would set the copy's prototype.
    if (key === '__proto__') continue
    if (walk.budget <= 0) {
      walk.truncated = true
      break
    }
    walk.budget -= key.length + 4
    const next = childNodes(nodes, key)
    const item = isRedacted(walk, key, next)
      ? REDACTED
      : copyValue(walk, readProperty(value, key), depth + 1, next)
    if (isArray) (copy as unknown[]).push(item)
    else (copy as Record<string, unknown>)[key] = item
  }
  return copy
}

const copyObject = (walk: Walk, value: object, depth: number, nodes: readonly PathNode[]): unknown => {
  if (walk.ancestors.includes(value)) return '[Circular]'
  if (depth >= MAX_DEPTH) {
    walk.truncated = true
    return '[Truncated]'
  }
  if (ArrayBuffer.isView(value)) return `[Binary ${value.byteLength} bytes]`
  if (value instanceof Error)
    return { name: copyString(walk, value.name), message: copyString(walk, value.message) }
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return copyValue(walk, toJSON.call(value), depth + 1, nodes)
  walk.ancestors.push(value)
  try {
    return copyEntries(walk, value, depth, nodes)
  } finally {
    walk.ancestors.pop()
  }
}

const copyValue = (walk: Walk, value: unknown, depth: number, nodes: readonly PathNode[]): unknown => {
  switch (typeof value) {
    case 'string':
      return copyString(walk, value)
    case 'number':
    case 'boolean':
      walk.budget -= SCALAR_BYTES
      return value
    case 'bigint':
      return copyString(walk, value.toString())
    case 'object':
      if (value === null) return null
      try {
        return copyObject(walk, value, depth, nodes)
      } catch {
        // A Proxy whose traps throw, or a toJSON that does.
        return '[Unreadable]'
      }
    default:
      // undefined, functions and symbols: JSON has no place for them.
      return undefined
  }
}

/**
 * Copies `event` for logging: credential headers and configured paths replaced by `[REDACTED]`,
 * circular references by `[Circular]`, anything past the depth or size limit cut short. Never throws.
 *
 * @example
 * ```ts
 * const redaction = createRedaction([], ['body'], 32_768)
 * sanitizeEvent({ headers: { Authorization: 'Bearer x' }, body: '{}' }, redaction)
 * // { value: { headers: { Authorization: '[REDACTED]' }, body: '[REDACTED]' }, truncated: false }
 * ```
 */
export const sanitizeEvent = (event: unknown, redaction: Redaction): SanitizedEvent => {
  const walk: Walk = { redaction, ancestors: [], budget: redaction.maxBytes, truncated: false }
  const value = copyValue(walk, event, 0, [redaction.paths])
  return { value, truncated: walk.truncated }
}
