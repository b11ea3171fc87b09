/**
 * `npm start`: the orders-api and hello examples on the emulator, with everything they need started
 * locally (PostgreSQL, a DynamoDB-API server, a fake payments service). Ctrl-C stops it all.
 *
 * Ports: PORT (HTTP front door, default 3000) and INVOKE_PORT (Lambda Invoke API, default 9001).
 *
 * Stopping: SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) all stop the emulator and the
 * services, print what was stopped and remove what was created in the temporary directory. A terminal
 * Ctrl-C reaches the whole process group, PostgreSQL included, which may be gone before it is stopped;
 * `scripts/local/postgres.mjs` copes with that. A second signal exits at once.
 */
import { relative } from 'node:path'
import { BREAKER_TABLE, startLocalStack } from './local/local-stack.mjs'
import { portInUse } from './local/ports.mjs'
import { terminalLine } from './local/terminal.mjs'

const httpPort = Number(process.env.PORT ?? 3000)
const invokePort = Number(process.env.INVOKE_PORT ?? 9001)
/** Signals that stop everything: Ctrl-C, a polite kill, and the terminal going away. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']
/** Longer than the emulator's shutdown of environments plus PostgreSQL's grace period. */
const STOP_LIMIT_MS = 30_000

/** One line per event worth seeing (the emulator's `describeEvent`: a 4xx answer reads as a client error). */
const onEvent = (event) => {
  const line = terminalLine(event)
  if (line !== null) console.log(line)
}

const reasonOf = (error) => (error instanceof Error ? error.message : String(error))

const main = async () => {
  for (const [name, port] of [
    ['PORT', httpPort],
    ['INVOKE_PORT', invokePort],
  ]) {
    if (await portInUse(port)) {
      console.error(`Port ${port} is in use. Stop what uses it, or set ${name}=<another port>.`)
      process.exit(1)
    }
  }

  // Ctrl-C while things start still stops what already runs (PostgreSQL is a separate process).
  const starting = startLocalStack({
    httpPort,
    invokePort,
    onEvent,
    log: (line) => console.log(`· ${line}`),
  })
  let stopping = false
  const shutdown = async (signal) => {
    if (stopping) {
      console.log(`\n${signal} again: exiting now, without waiting for the rest to stop.`)
      process.exit(130)
    }
    stopping = true
    console.log(
      `\n${signal}: stopping the environments (SIGTERM to those with an extension), then the services…`,
    )
    // Also keeps Node alive while the stops wait on other processes, so it cannot quit half-way.
    const limit = setTimeout(() => {
      console.error(
        `Still not stopped after ${STOP_LIMIT_MS / 1000} s: exiting. Check for leftover processes.`,
      )
      process.exit(1)
    }, STOP_LIMIT_MS)
    const stack = await starting.catch(() => null)
    const stopped = (await stack?.stop()) ?? []
    clearTimeout(limit)
    // startLocalStack stops what it had started when its start fails.
    if (stack === null) console.log('  the start was interrupted; what had started is stopped')
    for (const part of stopped) {
      console.log(
        part.error === undefined ? `  stopped ${part.name}` : `  ${part.name}: ${reasonOf(part.error)}`,
      )
    }
    const failed = stopped.some((part) => part.error !== undefined)
    console.log(failed ? 'Stopped, with the problems above.' : 'Stopped.')
    process.exit(failed ? 1 : 0)
  }
  for (const signal of STOP_SIGNALS) process.on(signal, () => void shutdown(signal))

  let stack
  try {
    stack = await starting
  } catch (error) {
    if (stopping) return // the signal handler reports and exits
    console.error(`Could not start: ${reasonOf(error)}`)
    if (error instanceof Error && error.cause !== undefined)
      console.error(`  because: ${reasonOf(error.cause)}`)
    process.exit(1)
  }
  if (stopping) return
  const { emulator, postgres, dynamo, payments } = stack
  const http = `localhost:${httpPort}`
  const json = `-H 'content-type: application/json'`

  console.log(`
lambda-lifetime is serving the examples on the emulator.

  Dashboard    ${emulator.dashboardUrl}   live environments, lanes, invoke, stop, the lifetime report
  HTTP API     ${stack.httpUrl}   open it in a browser: the functions and routes; /hello → hello, the rest → orders-api
  Invoke API   ${emulator.invokeUrl}   functions hello and orders-api (the AWS SDK's LambdaClient works with this endpoint)
  PostgreSQL   ${postgres.connectionString}
  DynamoDB     ${dynamo.endpoint}   dynalite, table ${BREAKER_TABLE}
  payments     ${payments.url}   fake; take it down: curl -X POST ${payments.url}/_control/down (or /up)
  logs         ${relative(process.cwd(), emulator.logDir) || '.'}/   one file per environment, like CloudWatch log streams

See container reuse: run this twice. Same containerId, invocation 1 then 2, startType cold then warm
(the lines below show an environment and its container by the first 8 hex digits of their ids; an
answer of 4xx reads "client error", a 5xx or a thrown error "error"):
  curl -s ${http}/hello

The orders API:
  curl -s -X POST ${http}/orders ${json} -d '{"item":"book","quantity":1,"amountCents":1200}'
  curl -s ${http}/orders/<id from the answer>
  curl -s -X POST ${http}/orders ${json} -d '{"item":'      malformed JSON: 400 with the reason
  curl -s ${http}/health                                     database, breaker state, container

Through the Lambda Invoke API:
  curl -s -X POST localhost:${invokePort}/2015-03-31/functions/hello/invocations -d '{"hello":"world"}'

Scripted traffic (scale-out, reuse, reaping, an outage, a database restart): npm run demo (runs its own copy).
Ctrl-C stops everything.
`)
}

main().catch((error) => {
  console.error(`npm start failed: ${reasonOf(error)}`)
  console.error(error)
  process.exit(1)
})
