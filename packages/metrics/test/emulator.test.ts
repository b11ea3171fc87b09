/**
 * End to end on the emulator: the real AWS runtime client in a real environment that is reused, crashes
 * and restarts, and shuts down with SIGTERM; the EMF documents are read back from its log stream files
 * and the counts checked against what happened.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { InvocationView } from '@lambda-lifetime/container'
import { type Emulator, startEmulator } from '@lambda-lifetime/emulator'
import { type EmfDocument, emfProblems, holding, total } from './emf.js'

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const metricsLib = fileURLToPath(new URL('../lib/index.js', import.meta.url))

describe('containerMetrics on the emulator', () => {
  let emulator: Emulator | undefined
  let lambda: LambdaClient
  let logDir: string

  beforeAll(async () => {
    if (!existsSync(metricsLib))
      throw new Error('packages/metrics/lib is missing: run `npx tsc --build` first')
    logDir = mkdtempSync(join(tmpdir(), 'll-metrics-emulator-'))
    emulator = await startEmulator({
      logDir,
      idleTimeoutMs: 60_000,
      functions: [
        { name: 'orders', handler: 'orders.handler', codeDir: fixtures, timeoutMs: 3_000, concurrency: 1 },
      ],
    })
    lambda = new LambdaClient({
      endpoint: emulator.invokeUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    })
  })

  afterAll(async () => {
    lambda?.destroy()
    await emulator?.stop()
    rmSync(logDir, { recursive: true, force: true })
  })

  const invoke = async (payload: unknown = {}): Promise<InvocationView & { errorType?: string }> => {
    const output = await lambda.send(
      new InvokeCommand({ FunctionName: 'orders', Payload: Buffer.from(JSON.stringify(payload)) }),
    )
    return JSON.parse(Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8'))
  }

  /** Every EMF document in the function's log stream files. */
  const emfDocuments = (): EmfDocument[] => {
    const dir = join(logDir, 'orders')
    return readdirSync(dir)
      .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n'))
      .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as EmfDocument)
  }

  it('counts starts, restarts and invocations per container as they happened', async () => {
    // Act: three invocations, a crash, two invocations on the restarted runtime, then shutdown
    const first = [await invoke(), await invoke(), await invoke()]
    const crashed = await invoke({ crash: true })
    const restarted = [await invoke(), await invoke()]
    await emulator?.stop()
    emulator = undefined

    // Assess
    expect(first.map((view) => view.startType)).toEqual(['cold', 'warm', 'warm'])
    expect(crashed.errorType).toBe('Runtime.ExitError')
    expect(restarted[0]?.restartOf).toBe(first[0]?.containerId)
    const documents = emfDocuments()
    for (const document of documents) expect(emfProblems(document)).toEqual([])
    // The crashed invocation published nothing: its runtime died before the end of the invocation.
    expect(total(documents, 'OrderPlaced')).toBe(5)
    expect(holding(documents, 'ContainerStart').map((document) => document.container_id)).toEqual([
      first[0]?.containerId,
      restarted[0]?.containerId,
    ])
    expect(holding(documents, 'ContainerAge')).toHaveLength(5)
    expect(holding(documents, 'IdleTime')).toHaveLength(3)
    expect(holding(documents, 'ContainerRestart')).toEqual([
      expect.objectContaining({
        ContainerRestart: 1,
        restart_of: first[0]?.containerId,
        function_name: 'orders',
      }),
    ])
    // The crashed runtime got no SIGTERM; the restarted one published its count when the emulator stopped.
    expect(holding(documents, 'ContainerInvocations')).toEqual([
      expect.objectContaining({ ContainerInvocations: 2, container_id: restarted[0]?.containerId }),
    ])
  }, 60_000)
})
