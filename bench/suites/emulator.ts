/**
 * Case 5, the emulator: a warm invoke round trip through its Invoke API (AWS SDK LambdaClient, the real
 * runtime client in the environment, freeze and thaw included) against the same SDK call to a stub
 * server that answers the Invoke API at once (the floor: SDK + HTTP on loopback); throughput at
 * concurrency 10 against the Runtime API floor (see `startRelay`); and the cold start (a new
 * environment: a Node process running aws-lambda-ric, init, first invoke) against starting a bare Node
 * process, median and p99.
 */

import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { Agent, createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http'
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
const BURST = 'emulator throughput, concurrency 10 (Invoke API, 10 warm environments)'
const RELAY = 'Runtime API floor, concurrency 10 (Invoke API stub + 10 in-process pollers)'
const DIRECT = 'Invoke API stub that answers at once, concurrency 10'
/** Invocations in flight at once in the throughput case, and environments the function may have. */
const CONCURRENCY = 10

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

/** Reads a request's body whole. */
const bodyOf = (request: NodeJS.ReadableStream): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString()))
    request.on('error', reject)
  })

/**
 * The throughput floor: what any emulator that runs functions behind the Runtime API has to do, and
 * nothing more. One HTTP server takes the Invoke API call, hands the payload to a runtime waiting on
 * `GET /2018-06-01/runtime/invocation/next`, and answers the caller when that runtime posts
 * `/invocation/{id}/response`: three HTTP exchanges on loopback per invoke, the same as through the
 * emulator. The runtimes are `pollers` loops in this process (keep-alive, like the runtime client)
 * that echo the event as the bench handler does, with no process of their own, no freeze, no init.
 */
const startRelay = async (pollers: number): Promise<{ url: string; stop: () => Promise<void> }> => {
  let next = 0
  const waiting: ServerResponse[] = []
  const queued: Array<{ id: string; payload: string }> = []
  const callers = new Map<string, ServerResponse>()
  const hand = (poll: ServerResponse, id: string, payload: string) => {
    poll.writeHead(200, { 'lambda-runtime-aws-request-id': id, 'content-type': 'application/json' })
    poll.end(payload)
  }
  const server = createServer(async (request, response) => {
    const url = request.url ?? ''
    if (request.method === 'GET' && url.endsWith('/runtime/invocation/next')) {
      const event = queued.shift()
      if (event === undefined) waiting.push(response)
      else hand(response, event.id, event.payload)
      return
    }
    const body = await bodyOf(request)
    if (url.endsWith('/invocations')) {
      const id = String(++next)
      callers.set(id, response)
      const poll = waiting.shift()
      if (poll === undefined) queued.push({ id, payload: body })
      else hand(poll, id, body)
      return
    }
    const id = /invocation\/([^/]+)\/response$/.exec(url)?.[1] ?? ''
    const caller = callers.get(id)
    callers.delete(id)
    caller?.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' })
    caller?.end(body)
    response.writeHead(202).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const agent = new Agent({ keepAlive: true })
  let stopped = false
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ id: string; body: string }>((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, agent }, (incoming) => {
        const id = String(incoming.headers['lambda-runtime-aws-request-id'] ?? '')
        bodyOf(incoming).then((text) => resolve({ id, body: text }), reject)
      })
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  const poll = async () => {
    while (!stopped) {
      const event = await call('GET', '/2018-06-01/runtime/invocation/next')
      const answer = JSON.stringify({ statusCode: 200, body: event.body })
      await call('POST', `/2018-06-01/runtime/invocation/${event.id}/response`, answer)
    }
  }
  const loops = Array.from({ length: pollers }, () => poll().catch(() => undefined))
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      stopped = true
      server.closeAllConnections()
      server.close()
      agent.destroy()
      await Promise.all(loops)
    },
  }
}

interface Throughput {
  readonly perSecond: number
  readonly p50: number
  readonly p99: number
}

/** `count` invokes, `CONCURRENCY` at a time; invocations per second and per-invoke latency (ms). */
const throughput = async (client: LambdaClient, name: string, count: number): Promise<Throughput> => {
  const latencies: number[] = []
  let started = 0
  const worker = async () => {
    while (started < count) {
      started++
      const start = performance.now()
      await invoke(client, name)
      latencies.push(performance.now() - start)
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - start) / 1000
  return { perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

/** Runs the contenders in rounds, the order rotating each round; per contender, its rounds' results. */
const throughputRounds = async (
  contenders: ReadonlyArray<readonly [string, () => Promise<Throughput>]>,
  rounds: number,
): Promise<Map<string, Throughput[]>> => {
  const results = new Map<string, Throughput[]>(contenders.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < contenders.length; index++) {
      const [name, run] = contenders[(index + round) % contenders.length] as (typeof contenders)[number]
      results.get(name)?.push(await run())
    }
  }
  return results
}

const throughputCases = (results: Map<string, Throughput[]>, count: number): CaseResult[] => {
  const of = (name: string) => results.get(name) ?? []
  const median = (name: string, key: keyof Throughput) =>
    percentile(
      of(name).map((round) => round[key]),
      50,
    )
  const note = (name: string) => {
    const runs = of(name)
    return `${runs.length} rounds of ${count} invokes; p50 ${median(name, 'p50').toFixed(2)} ms, p99 ${median(name, 'p99').toFixed(2)} ms (medians over the rounds)`
  }
  const floorNote =
    'the floor: SDK + the three loopback HTTP exchanges of the Runtime API protocol, no runtime process (bench/README.md)'
  return [
    valueCase(
      { name: RELAY, baseline: null, unit: 'invokes/s', note: `${note(RELAY)}; ${floorNote}` },
      median(RELAY, 'perSecond'),
    ),
    valueCase(
      { name: DIRECT, baseline: RELAY, unit: 'invokes/s', note: `${note(DIRECT)}; SDK + one HTTP exchange` },
      median(DIRECT, 'perSecond'),
      median(DIRECT, 'perSecond') / median(RELAY, 'perSecond'),
    ),
    valueCase(
      {
        name: BURST,
        baseline: RELAY,
        unit: 'invokes/s',
        note: `${note(BURST)}; ratio = emulator over the floor (1 = as fast as the floor); real aws-lambda-ric, freeze on`,
      },
      median(BURST, 'perSecond'),
      median(BURST, 'perSecond') / median(RELAY, 'perSecond'),
    ),
    valueCase(
      { name: `${BURST}, p50 latency`, baseline: `${RELAY}, p50 latency`, unit: 'ms' },
      median(BURST, 'p50'),
      median(BURST, 'p50') / median(RELAY, 'p50'),
    ),
    valueCase(
      { name: `${BURST}, p99 latency`, baseline: `${RELAY}, p99 latency`, unit: 'ms' },
      median(BURST, 'p99'),
      median(BURST, 'p99') / median(RELAY, 'p99'),
    ),
  ]
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
        { name: BURST, baseline: RELAY, unit: 'invokes/s' },
      ].map((spec) => skippedCase(spec, 'startEmulator has not landed'))
    }
    const codeDir = await mkdtemp(join(tmpdir(), 'bench-emulator-'))
    await writeFile(join(codeDir, 'index.mjs'), HANDLER)
    const emulator = await startEmulator({
      logDir: join(codeDir, 'logs'),
      httpPort: false,
      functions: [
        { name: 'warm', handler: 'index.handler', codeDir, concurrency: 1 },
        { name: 'burst', handler: 'index.handler', codeDir, concurrency: CONCURRENCY },
        // Shut down as soon as it is idle: every invoke finds no environment and starts one.
        { name: 'cold', handler: 'index.handler', codeDir, concurrency: 1, idleTimeoutMs: 1 },
      ],
    })
    const stub = await startStub()
    const relay = await startRelay(CONCURRENCY)
    const client = clientFor(emulator.invokeUrl)
    const stubClient = clientFor(stub.url)
    const relayClient = clientFor(relay.url)
    try {
      await invoke(client, 'warm')
      const rounds = await interleave(
        [
          { name: WARM, fn: () => invoke(client, 'warm'), batch: 1 },
          { name: STUB, fn: () => invoke(stubClient, 'stub'), batch: 1 },
        ],
        { ...roundsFor(mode), iterations: 10 },
      )
      // Ten environments up and warm before the clock starts: two waves of ten at once.
      for (let wave = 0; wave < 2; wave++)
        await Promise.all(Array.from({ length: CONCURRENCY }, () => invoke(client, 'burst')))
      const count = mode === 'quick' ? 300 : 2_000
      const bursts = await throughputRounds(
        [
          [BURST, () => throughput(client, 'burst', count)],
          [RELAY, () => throughput(relayClient, 'relay', count)],
          [DIRECT, () => throughput(stubClient, 'stub', count)],
        ],
        mode === 'quick' ? 2 : 5,
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
        ...throughputCases(bursts, count),
      ]
    } finally {
      client.destroy()
      stubClient.destroy()
      relayClient.destroy()
      stub.server.close()
      await relay.stop()
      await emulator.stop()
      await rm(codeDir, { recursive: true, force: true })
    }
  },
}
