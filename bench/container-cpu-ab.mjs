/**
 * CPU-time A/B of containerLifetime() per warm invocation, for a machine too loaded for wall-clock rounds:
 * `process.cpuUsage()` over 20,000 invocations per contender, contenders interleaved (order rotating each
 * round), median of the per-round ratios to bare Middy. Usage: `npm run build && node bench/container-cpu-ab.mjs`
 * (ROUNDS=25 by default). The wall-clock suite is `npm run bench -- --only=warm`.
 */
import { containerLifetime } from '@lambda-lifetime/container'
import { containerLifetimePlugin } from '@lambda-lifetime/container/middy'
import middy from '@middy/core'

const INVOCATIONS = 20_000
const ROUNDS = Number(process.env.ROUNDS ?? 25)
const NO_TIMER = { timeoutEarlyInMillis: 0 }

const remainingTime = () => 3_000
const noop = () => undefined
let sequence = 0
const lambdaContext = () => ({
  awsRequestId: `bench-${++sequence}`,
  functionName: 'bench-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench-function',
  memoryLimitInMB: '128',
  logGroupName: '/aws/lambda/bench-function',
  logStreamName: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: remainingTime,
  done: noop,
  fail: noop,
  succeed: noop,
})
const apiEvent = () => ({
  rawPath: '/items/42',
  requestContext: { http: { method: 'GET' }, requestId: 'req' },
  headers: { accept: 'application/json' },
})
const respond = async () => ({ statusCode: 200, body: '{"ok":true}' })

const contenders = {
  'bare middy': middy(respond),
  'containerLifetime()': middy(respond).use(containerLifetime()),
  'containerLifetime() + plugin': middy(respond, containerLifetimePlugin()).use(containerLifetime()),
  'bare middy, no timer': middy(respond, NO_TIMER),
  'containerLifetime(), no timer': middy(respond, NO_TIMER).use(containerLifetime()),
  'containerLifetime() + plugin, no timer': middy(respond, containerLifetimePlugin(NO_TIMER)).use(
    containerLifetime(),
  ),
}
const names = Object.keys(contenders)
const samples = Object.fromEntries(names.map((name) => [name, []]))

for (let round = 0; round < ROUNDS; round++) {
  for (let index = 0; index < names.length; index++) {
    const name = names[(index + round) % names.length]
    const handler = contenders[name]
    const before = process.cpuUsage()
    for (let invocation = 0; invocation < INVOCATIONS; invocation++)
      await handler(apiEvent(), lambdaContext())
    const used = process.cpuUsage(before)
    samples[name].push((used.user + used.system) / INVOCATIONS)
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
for (const name of names) {
  const baseline = name.endsWith('no timer') ? 'bare middy, no timer' : 'bare middy'
  const ratios = samples[name].map((value, round) => value / samples[baseline][round])
  console.log(
    `${name.padEnd(40)} ${median(samples[name]).toFixed(3)} µs CPU, ${median(ratios).toFixed(2)}x ${baseline}`,
  )
}
