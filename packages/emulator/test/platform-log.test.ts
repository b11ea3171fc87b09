import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { PlatformLog } from '../src/platform-log.js'
import { isRefusal, parseSubscription } from '../src/telemetry-subscription.js'

const dir = mkdtempSync(join(tmpdir(), 'platform-log-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const recordsOf = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))

describe('PlatformLog with the JSON format', () => {
  test('a failed init and a crashed invocation are records with their status and error type', () => {
    // Prepare
    const file = join(dir, 'json.log')
    const log = new PlatformLog(file, { logFormat: 'JSON', systemLogLevel: 'DEBUG' })

    // Act
    log.initReport(12.3456, 'init', 'error', 'Runtime.ExitError')
    log.initReport(5, 'invoke', 'timeout', 'Sandbox.Timedout')
    log.start('r', false)
    log.end({
      requestId: 'r',
      durationMs: 1.5,
      memoryMb: 128,
      maxMemoryUsedMb: null,
      initDurationMs: null,
      status: 'crash',
      errorType: 'Runtime.ExitError',
    })
    log.close()

    // Assess
    const [initError, initTimeout, , report] = recordsOf(file)
    expect(initError).toMatchObject({
      type: 'platform.initReport',
      record: {
        phase: 'init',
        status: 'error',
        errorType: 'Runtime.ExitError',
        metrics: { durationMs: 12.346 },
      },
    })
    expect(initTimeout.record).toEqual({ phase: 'invoke', status: 'timeout', metrics: { durationMs: 5 } })
    expect(report.record).toEqual({
      requestId: 'r',
      metrics: { durationMs: 1.5, billedDurationMs: 2, memorySizeMB: 128, maxMemoryUsedMB: 0 },
      status: 'error',
      errorType: 'Runtime.ExitError',
    })
  })
})

describe('PlatformLog and the Telemetry API', () => {
  test('a failed init and extension lines reach a subscriber; extension lines are prefixed in the stream', async () => {
    // Prepare: a subscriber listening on loopback.
    const events: { type: string; record: unknown }[] = []
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        events.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')))
        response.end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const file = join(dir, 'telemetry.log')
    const log = new PlatformLog(
      file,
      { logFormat: 'JSON' },
      {
        functionName: 'f',
        functionVersion: '$LATEST',
        instanceId: 'stream',
        memoryMb: 256,
      },
    )
    const subscription = parseSubscription(
      Buffer.from(
        JSON.stringify({
          schemaVersion: '2025-01-29',
          types: ['platform', 'extension'],
          destination: { protocol: 'HTTP', URI: `http://sandbox.localdomain:${port}/` },
        }),
      ),
    )
    if (isRefusal(subscription)) throw new Error(subscription.errorMessage)

    try {
      // Act
      log.initStart('provisioned-concurrency', 'invoke')
      log.telemetry.subscribe('watcher', subscription)
      log.extensionLines('watcher', '{"level":"INFO","msg":"up"}\nplain\n')
      log.initReport(3, 'invoke', 'error', 'Runtime.ExitError')
      await log.telemetry.flush(5_000)
      log.close()

      // Assess
      expect(events.map((event) => event.type)).toEqual([
        'platform.initStart',
        'platform.telemetrySubscription',
        'extension',
        'extension',
        'platform.initRuntimeDone',
        'platform.initReport',
      ])
      expect(events[0]?.record).toMatchObject({
        phase: 'invoke',
        instanceId: 'stream',
        instanceMaxMemory: 268_435_456,
      })
      expect(events[2]?.record).toEqual({ level: 'INFO', msg: 'up' })
      expect(events[3]?.record).toBe('plain')
      expect(events[4]?.record).toEqual({
        initializationType: 'provisioned-concurrency',
        phase: 'invoke',
        status: 'error',
        errorType: 'Runtime.ExitError',
      })
      expect(readFileSync(file, 'utf8')).toContain('[watcher] plain\n')
    } finally {
      log.close()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
