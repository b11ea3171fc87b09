/**
 * `npm run demo`: scripted traffic through the orders-api on the emulator, with short idle settings so
 * that it all fits in about a minute. It starts its own copy of the local stack on free ports, so it
 * runs next to `npm start`, and prints what happened to each environment.
 *
 * 1. a burst above the concurrency limit: scale-out (cold starts) and throttling;
 * 2. sequential traffic: warm reuse of the same environments;
 * 3. a payments outage: the breaker opens, the fleet answers 503 fast, then recovers;
 * 4. a database restart: the warm pools notice and reconnect;
 * 5. an idle period: the environments are reaped (SIGTERM, since the functions register an extension).
 */
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { shortContainerId } from './local/containers.mjs'
import { startLocalStack } from './local/local-stack.mjs'

const CONCURRENCY = 3
const IDLE_TIMEOUT_MS = 4_000
const BREAKER_RESET_MS = 3_000

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const heading = (text) => console.log(`\n── ${text}`)

/** The emulator runs from the compiled packages; `tsc --build` is a no-op when they are up to date. */
const ensureBuilt = () => {
  console.log('· tsc --build (compiles the packages if needed)')
  execFileSync(`${repoRoot}node_modules/.bin/tsc`, ['--build'], { cwd: repoRoot, stdio: 'inherit' })
}

/** What the emulator told us about each environment. */
const environments = new Map()
const onEvent = (event) => {
  if (event.environment?.functionName !== 'orders-api') return
  const id = event.environment.id
  const env = environments.get(id) ?? {
    id,
    invocations: 0,
    runtimes: 0,
    initMs: null,
    ended: null,
    containers: new Set(),
  }
  environments.set(id, env)
  env.invocations = event.environment.invocations
  env.runtimes = event.environment.runtimes
  env.logFile = event.environment.logFile
  if (event.type === 'environment.ready') env.initMs ??= Math.round(event.initDurationMs)
  if (event.type === 'environment.shutdown') env.ended = `${event.reason} (${event.signal})`
}

/**
 * Ctrl-C (to the process group, PostgreSQL included, or to Node alone), SIGTERM or SIGHUP in the middle of
 * the demo: stop the stack, so nothing is left running or in the temporary directory, and say so.
 */
const stopOnSignals = (starting) => {
  let stopping = false
  const stop = async (signal) => {
    if (stopping) process.exit(130)
    stopping = true
    console.log(`\n${signal}: stopping the demo's emulator and services…`)
    const stack = await starting.catch(() => null)
    const stopped = (await stack?.stop()) ?? []
    for (const part of stopped) {
      const problem = part.error === undefined ? '' : `: ${part.error?.message ?? part.error}`
      console.log(`  stopped ${part.name}${problem}`)
    }
    console.log('Stopped.')
    process.exit(130)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop(signal))
}

const main = async () => {
  const started = Date.now()
  ensureBuilt()
  const starting = startLocalStack({
    rules: { concurrency: CONCURRENCY, idleTimeoutMs: IDLE_TIMEOUT_MS },
    ordersEnv: {
      BREAKER_RESET_MS: String(BREAKER_RESET_MS),
      PAYMENTS_TIMEOUT_MS: '800',
      POOL_VALIDATE_AFTER_IDLE_MS: '500',
    },
    logDir: `${repoRoot}.lambda-lifetime/demo-logs/${new Date().toISOString().replaceAll(':', '-')}`,
    onEvent,
    log: (line) => console.log(`· ${line}`),
  })
  stopOnSignals(starting)
  const stack = await starting
  const base = stack.httpUrl

  /** One HTTP call; remembers which container answered. */
  const call = async (method, path, body) => {
    const begin = performance.now()
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    const text = await response.text()
    const ms = Math.round(performance.now() - begin)
    let json = null
    try {
      json = JSON.parse(text)
    } catch {}
    // Every answer, errors included, names its container (CONTAINER_ID_HEADER in the local stack).
    const containerId = response.headers.get('x-container-id')
    return { status: response.status, ms, json, text, containerId }
  }
  const order = (amountCents = 1_200) => call('POST', '/orders', { item: 'book', quantity: 1, amountCents })
  /** Answers that no step of the demo should give, with their reasons, listed again at the end. */
  const unexpected = []
  const show = (label, result) => {
    const { container } = result.json ?? {}
    const where =
      result.containerId === null ? 'no container' : `container ${shortContainerId(result.containerId)}`
    const invocation = container === undefined ? '' : `#${container.invocation} ${container.startType}`
    const why = result.status >= 200 && result.status < 300 ? '' : reasonOf(result)
    // The outage's 502/503/504 and the burst's throttles are the demo's point; any other 500 never is.
    if ((result.status === 500 && !isThrottle(result)) || result.status > 504)
      unexpected.push(`${label}: ${result.status} ${why}`)
    const status = `${result.status} ${answerWord(result.status).padEnd(12)} ${String(result.ms).padStart(5)} ms`
    console.log(
      `  ${label.padEnd(18)} ${status}  ${where.padEnd(20)} ${invocation.padEnd(12)} ${why}`.trimEnd(),
    )
  }
  /**
   * A Lambda throttle as an HTTP API answers it: 500 (API Gateway maps Lambda's 429 to 500), the reason
   * naming TooManyRequestsException.
   */
  const isThrottle = (result) => result.status === 500 && /TooManyRequestsException/.test(reasonOf(result))
  /** As the emulator's terminal and the report read an answer: a 4xx is the client's error, a 5xx an error. */
  const answerWord = (status) => (status >= 500 ? 'error' : status >= 400 ? 'client error' : 'ok')
  /** Why an answer is not a 2xx: the API's `{message, reason}`, else its body, else a pointer to the logs. */
  const reasonOf = (result) => {
    const { message, reason } = result.json ?? {}
    if (typeof message === 'string') return reason ? `${message}: ${reason}` : message
    const body = result.text.trim().slice(0, 160)
    if (body.length > 0) return body
    return `no body; the function's log stream says why (${relativeLogs(stack.emulator.logDir)})`
  }

  try {
    heading(`1. Burst: ${CONCURRENCY + 2} orders at once, concurrency limit ${CONCURRENCY}`)
    const burst = await Promise.all(Array.from({ length: CONCURRENCY + 2 }, () => order()))
    for (const [index, result] of burst.entries()) show(`order ${index + 1}`, result)
    const created = burst.filter((result) => result.status === 201)
    const throttled = burst.filter(isThrottle).length
    console.log(
      `  → ${environments.size} environments started (cold starts); ${throttled} requests throttled (Lambda's 429, which API Gateway answers with 500)`,
    )

    heading('2. Warm reuse: 8 sequential reads')
    const before = environments.size
    const ids = created.map((result) => result.json.order.id)
    for (let index = 0; index < 8; index++)
      show('GET order', await call('GET', `/orders/${ids[index % ids.length]}`))
    console.log(`  → ${environments.size - before} new environments: the warm ones were reused`)

    heading('3. Payments outage: the breaker opens, then answers fast')
    stack.payments.setMode('down')
    for (let index = 0; index < 5; index++) show('order while down', await order())
    // The other environments read the fleet state from DynamoDB at most once per second (the store's cache).
    console.log('  one second later, one order per environment at once:')
    await sleep(1_100)
    const fleet = await Promise.all(Array.from({ length: CONCURRENCY }, () => order()))
    for (const result of fleet) show('order (fleet)', result)
    console.log(`  → payments service saw ${stack.payments.stats.refused} calls while down`)
    stack.payments.setMode('up')
    console.log(`  payments back up; waiting ${BREAKER_RESET_MS / 1000} s for the breaker's reset timeout`)
    await sleep(BREAKER_RESET_MS + 300)
    show('order (probe)', await order())
    show('order', await order())

    heading('4. Database restart: the warm pools notice and reconnect')
    await stack.postgres.restart()
    console.log('  PostgreSQL restarted (every connection dropped)')
    await sleep(700)
    let failures = 0
    for (let index = 0; index < 5; index++) {
      const result = await call('GET', `/orders/${ids[0]}`)
      if (result.status !== 200) failures++
      show('GET order', result)
    }
    console.log(`  → ${failures} failed requests after the restart`)

    heading(
      `5. Idle: no traffic for ${(IDLE_TIMEOUT_MS + 1_500) / 1000} s (idle timeout ${IDLE_TIMEOUT_MS / 1000} s)`,
    )
    await sleep(IDLE_TIMEOUT_MS + 1_500)
    const reaped = [...environments.values()].filter((env) => env.ended !== null).length
    console.log(`  → ${reaped} environments reaped`)
    show('GET /health', await call('GET', '/health'))
  } finally {
    await stack.stop()
  }

  heading('What happened per environment (orders-api), by the containers it ran')
  console.log(`  ${'containers'.padEnd(20)} ${'init ms'.padStart(7)} ${'invocations'.padStart(11)}  ended`)
  for (const env of environments.values()) {
    const stream = await readLogStream(env.logFile)
    // More than one container in an environment: a crash or timeout reset started a new runtime.
    const containers = [...stream.containers].map(shortContainerId).join(' ') || '-'
    console.log(
      `  ${containers.padEnd(20)} ${String(env.initMs ?? '-').padStart(7)} ${String(env.invocations).padStart(11)}  ${env.ended ?? 'at the end of the demo'}`,
    )
    console.log(`  ${''.padEnd(20)} lifecycle lines: ${stream.summary}`)
  }
  console.log(
    `\nDone in ${Math.round((Date.now() - started) / 1000)} s. Log streams: ${relativeLogs(stack.emulator.logDir)}`,
  )
  if (unexpected.length > 0) {
    console.error(
      `\n${unexpected.length} unexpected answers:\n${unexpected.map((line) => `  ${line}`).join('\n')}`,
    )
    process.exitCode = 1
  }
}

const relativeLogs = (dir) => dir.replace(repoRoot, '')

/**
 * Reads one log stream: the container ids its lifecycle lines (schema v1) name, and how many lines of
 * each event it holds, e.g. "breaker.open 1, pool.recreate 1" (invocation.end left out: one per call).
 */
const readLogStream = async (logFile) => {
  const text = logFile === undefined ? '' : await readFile(logFile, 'utf8').catch(() => '')
  const containers = new Set()
  const counts = new Map()
  for (const line of text.split('\n')) {
    const start = line.indexOf('{')
    if (start === -1) continue
    let record
    try {
      record = JSON.parse(line.slice(start))
    } catch {
      continue
    }
    if (record.lifecycle_schema === undefined) continue
    if (typeof record.container_id === 'string') containers.add(record.container_id)
    if (record.event === 'invocation.end') continue
    const key = record.source === 'store' ? `${record.event} (from the fleet)` : record.event
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const summary = [...counts].map(([event, count]) => `${event} ${count}`).join(', ') || '-'
  return { containers, summary }
}

main().catch((error) => {
  console.error(`The demo failed: ${error instanceof Error ? error.message : String(error)}`)
  if (error?.cause !== undefined) console.error(`  because: ${error.cause?.message ?? error.cause}`)
  console.error(error)
  process.exit(1)
})
