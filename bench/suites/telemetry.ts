/**
 * What a Telemetry API subscription would cost the container package: a warm invoke round trip
 * (AWS SDK LambdaClient, real runtime client, freeze and thaw) of a function whose internal extension
 * registers as `enableGracefulShutdown()` does, against the same function whose extension also
 * subscribes to `platform` events and joins each `platform.report` to its request id in an HTTP
 * listener inside the runtime process (the join that would put billed duration and max memory on
 * lifecycle lines). Interleaved rounds, ratio to the unsubscribed function measured in the same run.
 * Run with `--only=telemetry`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { comparedCase, loadExport, skippedCase } from '../harness/cases.js'
import { compare, interleave, roundsFor } from '../harness/measure.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const PLAIN = 'warm invoke, internal extension registered (as enableGracefulShutdown)'
const SUBSCRIBED = 'warm invoke, the extension also joins platform.report (Telemetry API)'
const SUBSCRIBED_FAST = 'warm invoke, joins platform.report, buffering timeoutMs 25'

/** The function: an internal extension with no events; SUBSCRIBE=1 adds the subscription and the join. */
const HANDLER = `
import { createServer } from 'node:http'
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API
const registered = await fetch(api + '/2020-01-01/extension/register', {
  method: 'POST', headers: { 'Lambda-Extension-Name': 'container' }, body: JSON.stringify({ events: [] }),
})
const id = registered.headers.get('lambda-extension-identifier')
const reports = new Map()
if (process.env.SUBSCRIBE === '1') {
  const server = createServer((request, response) => {
    const chunks = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      for (const event of JSON.parse(Buffer.concat(chunks))) {
        if (event.type === 'platform.report') reports.set(event.record.requestId, event.record.metrics)
      }
      response.end()
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  await fetch(api + '/2022-07-01/telemetry', {
    method: 'PUT',
    headers: { 'Lambda-Extension-Identifier': id },
    body: JSON.stringify({
      schemaVersion: '2022-12-13', types: ['platform'],
      buffering: { timeoutMs: Number(process.env.TIMEOUT_MS) },
      destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:' + server.address().port + '/' },
    }),
  })
}
void fetch(api + '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } }).catch(() => {})
export const handler = async () => ({ joined: reports.size })
`

interface EmulatorLike {
  readonly invokeUrl: string
  stop(): Promise<void>
}
type StartEmulator = (options: object) => Promise<EmulatorLike>

const invoke = async (client: LambdaClient, name: string): Promise<number> => {
  const output = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }))
  const text = Buffer.from(output.Payload ?? []).toString()
  if (output.FunctionError !== undefined) throw new Error(`${name} failed: ${text}`)
  return (JSON.parse(text) as { joined: number }).joined
}

export const telemetrySuite: Suite = {
  id: 'telemetry',
  name: 'telemetry',
  async run(mode: Mode): Promise<CaseResult[]> {
    const startEmulator = await loadExport<StartEmulator>('@lambda-lifetime/emulator', 'startEmulator')
    if (startEmulator === undefined) {
      return [SUBSCRIBED, SUBSCRIBED_FAST].map((name) =>
        skippedCase({ name, baseline: PLAIN, unit: 'ms' }, 'startEmulator has not landed'),
      )
    }
    const codeDir = await mkdtemp(join(tmpdir(), 'bench-telemetry-'))
    await writeFile(join(codeDir, 'index.mjs'), HANDLER)
    const fn = (name: string, env: Record<string, string>) => ({
      name,
      handler: 'index.handler',
      codeDir,
      concurrency: 1,
      env,
    })
    const emulator = await startEmulator({
      logDir: join(codeDir, 'logs'),
      httpPort: false,
      dashboard: false,
      functions: [
        fn('plain', { SUBSCRIBE: '0' }),
        fn('subscribed', { SUBSCRIBE: '1', TIMEOUT_MS: '1000' }),
        fn('fast', { SUBSCRIBE: '1', TIMEOUT_MS: '25' }),
      ],
    })
    const client = new LambdaClient({
      endpoint: emulator.invokeUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      maxAttempts: 1,
    })
    try {
      for (const name of ['plain', 'subscribed', 'fast']) await invoke(client, name)
      const rounds = await interleave(
        [
          { name: PLAIN, fn: () => invoke(client, 'plain'), batch: 1 },
          { name: SUBSCRIBED, fn: () => invoke(client, 'subscribed'), batch: 1 },
          { name: SUBSCRIBED_FAST, fn: () => invoke(client, 'fast'), batch: 1 },
        ],
        { ...roundsFor(mode), iterations: 10 },
      )
      const joined = await invoke(client, 'fast')
      const note = `the report of invocation N reaches the extension in invocation N+1 (frozen in between); ${joined} reports joined by the last call`
      return [SUBSCRIBED, SUBSCRIBED_FAST].map((name) =>
        comparedCase(
          { name, baseline: PLAIN, unit: 'ms', note },
          compare(rounds.get(name) ?? [], rounds.get(PLAIN) ?? []),
        ),
      )
    } finally {
      client.destroy()
      await emulator.stop()
      await rm(codeDir, { recursive: true, force: true })
    }
  },
}
