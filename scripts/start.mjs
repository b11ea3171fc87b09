/**
 * `npm start`: the orders-api and hello examples on the emulator, with everything they need started
 * locally (PostgreSQL, a DynamoDB-API server, a fake payments service). Ctrl-C stops it all.
 *
 * Ports: PORT (HTTP front door, default 3000) and INVOKE_PORT (Lambda Invoke API, default 9001).
 */
import { relative } from 'node:path'
import { BREAKER_TABLE, startLocalStack } from './local/local-stack.mjs'
import { portInUse } from './local/ports.mjs'

const httpPort = Number(process.env.PORT ?? 3000)
const invokePort = Number(process.env.INVOKE_PORT ?? 9001)

const short = (id) => (id ?? '').slice(-8)
const time = () => new Date().toISOString().slice(11, 23)

/** One line per event worth seeing: environments coming and going, each invocation's end. */
const describe = (event) => {
  const env = event.environment === undefined ? '' : `env …${short(event.environment.id)} `
  switch (event.type) {
    case 'environment.start':
      return `${env}starting (${event.environment.initType})`
    case 'environment.ready':
      return `${env}ready, init ${Math.round(event.initDurationMs)} ms`
    case 'environment.init-failed':
      return `${env}init failed: ${event.errorType} (${event.reason})`
    case 'environment.reset':
      return `${env}reset after a ${event.reason}: new runtime, same log stream and /tmp`
    case 'environment.shutdown':
      return `${env}shut down (${event.reason}, ${event.signal})`
    case 'invocation.end':
      return `${env}invocation ${event.environment.invocations} ${event.outcome} in ${Math.round(event.durationMs)} ms`
    case 'invocation.throttle':
      return `${event.functionName}: throttled (429 TooManyRequestsException)`
    default:
      return null
  }
}

const onEvent = (event) => {
  const line = describe(event)
  if (line !== null)
    console.log(`${time()} ${event.environment?.functionName ?? ''} ${line}`.replace(/ {2,}/g, ' '))
}

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
      console.log('\nForced exit.')
      process.exit(130)
    }
    stopping = true
    console.log(
      `\n${signal}: stopping the environments (SIGTERM to those with an extension), then the services…`,
    )
    const stack = await starting.catch(() => null)
    await stack?.stop()
    console.log('Stopped.')
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))

  const stack = await starting
  if (stopping) return
  const { emulator, postgres, dynamo, payments } = stack
  const http = `localhost:${httpPort}`
  const json = `-H 'content-type: application/json'`

  console.log(`
lambda-lifetime is serving the examples on the emulator.

  HTTP API     ${stack.httpUrl}   /hello → function hello, everything else → function orders-api
  Invoke API   ${emulator.invokeUrl}   functions hello and orders-api (the AWS SDK's LambdaClient works with this endpoint)
  PostgreSQL   ${postgres.connectionString}
  DynamoDB     ${dynamo.endpoint}   dynalite, table ${BREAKER_TABLE}
  payments     ${payments.url}   fake; take it down: curl -X POST ${payments.url}/_control/down (or /up)
  logs         ${relative(process.cwd(), emulator.logDir) || '.'}/   one file per environment, like CloudWatch log streams

See container reuse: run this twice. Same containerId, invocation 1 then 2, startType cold then warm:
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
  console.error(error)
  process.exit(1)
})
