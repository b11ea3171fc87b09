/**
 * Case 5, the emulator: a warm invoke round trip through its Invoke API (AWS SDK LambdaClient, the real
 * runtime client in the environment, freeze and thaw included) against the same SDK call to a stub
 * server that answers the Invoke API at once (the floor: SDK + HTTP on loopback); and the cold start
 * (a new environment: a Node process running aws-lambda-ric, init, first invoke) against starting a bare
 * Node process, median and p99.
 */

import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { comparedCase, loadExport, skippedCase, valueCase } from '../harness/cases.js'
import { alternate, compare, interleave, percentile, roundsFor } from '../harness/measure.js'
import type { CaseResult, Mode, Suite } from '../harness/types.js'

const WARM = 'emulator warm invoke round trip (Invoke API)'
const STUB = 'Invoke API round trip to a stub that answers at once'
const COLD = 'emulator cold start, median (invoke on a new environment)'
const COLD_P99 = 'emulator cold start, p99'
const NODE_START = 'bare node process start to exit (node -e 0)'

interface EmulatorLike {
  readonly invokeUrl: string
  subscribe(listener: (event: { type: string }) => void): () => void
  stop(): Promise<void>
}
type StartEmulator = (options: object) => Promise<EmulatorLike>

const HANDLER = 'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) })\n'

const clientFor = (endpoint: string) =>
  new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
  })

const invoke = async (client: LambdaClient, name: string): Promise<void> => {
  const output = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"n":1}') }))
  if (output.FunctionError !== undefined)
    throw new Error(`${name} failed: ${Buffer.from(output.Payload ?? []).toString()}`)
}

/** An Invoke API look-alike that answers every invoke at once, without running anything. */
const startStub = async (): Promise<{ url: string; server: Server }> => {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' })
      response.end('{"statusCode":200,"body":"{\\"n\\":1}"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

const nodeStart = async (): Promise<number> => {
  const start = performance.now()
  await promisify(execFile)(process.execPath, ['-e', '0'])
  return performance.now() - start
}

/** A cold invoke: waits until the previous environment is gone, then times the invoke that starts one. */
const coldStart = (emulator: EmulatorLike, client: LambdaClient) => async (): Promise<number> => {
  const stopped = new Promise<void>((resolve) => {
    const unsubscribe = emulator.subscribe((event) => {
      if (event.type === 'environment.stopped') {
        unsubscribe()
        resolve()
      }
    })
  })
  const start = performance.now()
  await invoke(client, 'cold')
  const elapsed = performance.now() - start
  await stopped
  return elapsed
}

export const emulatorSuite: Suite = {
  id: 'emulator',
  name: 'emulator',
  async run(mode: Mode): Promise<CaseResult[]> {
    const startEmulator = await loadExport<StartEmulator>('@lambda-lifetime/emulator', 'startEmulator')
    if (startEmulator === undefined) {
      return [
        { name: WARM, baseline: STUB, unit: 'ms' },
        { name: COLD, baseline: NODE_START, unit: 'ms' },
      ].map((spec) => skippedCase(spec, 'startEmulator has not landed'))
    }
    const codeDir = await mkdtemp(join(tmpdir(), 'bench-emulator-'))
    await writeFile(join(codeDir, 'index.mjs'), HANDLER)
    const emulator = await startEmulator({
      logDir: join(codeDir, 'logs'),
      httpPort: false,
      functions: [
        { name: 'warm', handler: 'index.handler', codeDir, concurrency: 1 },
        // Shut down as soon as it is idle: every invoke finds no environment and starts one.
        { name: 'cold', handler: 'index.handler', codeDir, concurrency: 1, idleTimeoutMs: 1 },
      ],
    })
    const stub = await startStub()
    const client = clientFor(emulator.invokeUrl)
    const stubClient = clientFor(stub.url)
    try {
      await invoke(client, 'warm')
      const rounds = await interleave(
        [
          { name: WARM, fn: () => invoke(client, 'warm'), batch: 1 },
          { name: STUB, fn: () => invoke(stubClient, 'stub'), batch: 1 },
        ],
        { ...roundsFor(mode), iterations: 10 },
      )
      const samples = await alternate(
        [
          [COLD, coldStart(emulator, client)],
          [NODE_START, nodeStart],
        ],
        mode === 'quick' ? 3 : 15,
      )
      const cold = samples.get(COLD) ?? []
      const node = samples.get(NODE_START) ?? []
      const coldNote = `${cold.length} cold starts; p99 of ${cold.length} samples is their maximum`
      return [
        comparedCase(
          {
            name: WARM,
            baseline: STUB,
            unit: 'ms',
            target: { on: 'value', op: '<', limit: 5, text: '< 5 ms' },
            note: 'AWS SDK v3 LambdaClient on 127.0.0.1; the environment is frozen (SIGSTOP) between invokes',
          },
          compare(rounds.get(WARM) ?? [], rounds.get(STUB) ?? []),
        ),
        comparedCase({ name: COLD, baseline: NODE_START, unit: 'ms', note: coldNote }, compare(cold, node)),
        valueCase(
          { name: COLD_P99, baseline: `${NODE_START}, p99`, unit: 'ms', note: coldNote },
          percentile(cold, 99),
          percentile(cold, 99) / percentile(node, 99),
        ),
      ]
    } finally {
      client.destroy()
      stubClient.destroy()
      stub.server.close()
      await emulator.stop()
      await rm(codeDir, { recursive: true, force: true })
    }
  },
}
