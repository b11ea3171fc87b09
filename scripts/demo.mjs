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
import { startLocalStack } from './local/local-stack.mjs'

const CONCURRENCY = 3
const IDLE_TIMEOUT_MS = 4_000
const BREAKER_RESET_MS = 3_000

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const short = (id) => (id ?? '-').slice(-8)
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

const main = async () => {
  const started = Date.now()
  ensureBuilt()
  const stack = await startLocalStack({
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
    const containerId = json?.container?.id ?? null
    return { status: response.status, ms, json, containerId }
  }
  const order = (amountCents = 1_200) => call('POST', '/orders', { item: 'book', quantity: 1, amountCents })
  const show = (label, result) =>
    console.log(
      `  ${label.padEnd(22)} ${String(result.status).padEnd(4)} ${String(result.ms).padStart(5)} ms  container ${short(result.containerId)}${
        result.json?.message !== undefined
          ? `  ${result.json.message}${result.json.reason ? `: ${result.json.reason}` : ''}`
          : ''
      }`,
    )

  try {
    heading(`1. Burst: ${CONCURRENCY + 2} orders at once, concurrency limit ${CONCURRENCY}`)
    const burst = await Promise.all(Array.from({ length: CONCURRENCY + 2 }, () => order()))
    for (const [index, result] of burst.entries()) show(`order ${index + 1}`, result)
    const created = burst.filter((result) => result.status === 201)
    console.log(
      `  → ${environments.size} environments started cold; ${burst.filter((r) => r.status === 429).length} requests throttled (429)`,
    )

    heading('2. Warm reuse: 8 sequential reads')
    const before = environments.size
    const ids = created.map((result) => result.json.order.id)
    for (let index = 0; index < 8; index++) {
      const result = await call('GET', `/orders/${ids[index % ids.length]}`)
      show(`GET order (#${result.json?.container?.invocation ?? '?'})`, result)
    }
    console.log(`  → ${environments.size - before} new environments: the warm ones were reused`)

    heading('3. Payments outage: the breaker opens, then answers fast')
    stack.payments.setMode('down')
    for (let index = 0; index < 6; index++) show(`order while down`, await order())
    const fleet = await Promise.all(Array.from({ length: CONCURRENCY }, () => order()))
    for (const result of fleet) show('order, other envs', result)
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

  heading('What happened per environment (orders-api)')
  console.log(
    `  ${'environment'.padEnd(10)} ${'init ms'.padStart(7)} ${'invocations'.padStart(11)} ${'runtimes'.padStart(8)}  ${'lifecycle lines'.padEnd(44)} ended`,
  )
  for (const env of environments.values()) {
    const lines = await lifecycleCounts(env.logFile)
    console.log(
      `  …${short(env.id).padEnd(8)} ${String(env.initMs ?? '-').padStart(7)} ${String(env.invocations).padStart(11)} ${String(env.runtimes).padStart(8)}  ${lines.padEnd(44)} ${env.ended ?? 'at stop'}`,
    )
  }
  console.log(
    `\nDone in ${Math.round((Date.now() - started) / 1000)} s. Logs: ${relativeLogs(stack.emulator.logDir)}`,
  )
}

const relativeLogs = (dir) => dir.replace(repoRoot, '')

/** Counts the lifecycle lines (schema v1) of one log stream by event, e.g. "breaker.open 1, pool.recreate 1". */
const lifecycleCounts = async (logFile) => {
  if (logFile === undefined) return '-'
  const text = await readFile(logFile, 'utf8').catch(() => '')
  const counts = new Map()
  for (const line of text.split('\n')) {
    const start = line.indexOf('{')
    if (start === -1) continue
    try {
      const record = JSON.parse(line.slice(start))
      if (record.lifecycle_schema === undefined || record.event === 'invocation.end') continue
      counts.set(record.event, (counts.get(record.event) ?? 0) + 1)
    } catch {}
  }
  return [...counts].map(([event, count]) => `${event.replace('container.', '')} ${count}`).join(', ') || '-'
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
