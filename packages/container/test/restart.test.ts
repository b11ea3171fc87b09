import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { containerLifetime, getContainer, type LifecycleEvent, onLifecycle } from '@lambda-lifetime/container'
import middy from '@middy/core'
import { lambdaContext, resetContainer } from '../../../test/support/container.js'

const STREAM = '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef'

describe('restartOf: a runtime that replaces a dead one in the same environment', () => {
  let environmentTmp: string
  const savedTmp = process.env.TMPDIR

  beforeEach(() => {
    environmentTmp = mkdtempSync(join(tmpdir(), 'll-env-'))
    process.env.TMPDIR = environmentTmp
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = STREAM
    resetContainer()
  })

  afterEach(() => {
    process.env.TMPDIR = savedTmp
    delete process.env.AWS_LAMBDA_LOG_STREAM_NAME
    rmSync(environmentTmp, { recursive: true, force: true })
  })

  const invoke = (options = {}) =>
    middy()
      .use(containerLifetime(options))
      .handler(async (_event: unknown, context) => context.container)({}, lambdaContext('r'))

  it('reports the previous containerId after a reset, and emits container.restart', async () => {
    // Prepare
    const first = await invoke()
    resetContainer() // the runtime process died; a new one starts with the same /tmp and log stream
    const events: LifecycleEvent[] = []
    const unsubscribe = onLifecycle((event) => events.push(event))

    // Act
    const second = await invoke()
    const third = await invoke()
    unsubscribe()

    // Assess
    expect(first.restartOf).toBeNull()
    expect(second.containerId).not.toBe(first.containerId)
    expect(second.restartOf).toBe(first.containerId)
    expect(third.restartOf).toBe(first.containerId)
    expect(getContainer().restartOf).toBe(first.containerId)
    const restart = events.find((event) => event.type === 'container.restart')
    expect(restart).toMatchObject({ restartOf: first.containerId, previousStartedAt: expect.any(Number) })
  })

  it('writes no marker and reports no restart when the option is off', async () => {
    // Act
    await invoke({ restartMarker: false })
    resetContainer()
    const second = await invoke({ restartMarker: false })

    // Assess
    expect(second.restartOf).toBeNull()
    expect(readdirSync(environmentTmp)).toEqual([])
  })

  it('ignores markers without a real log stream name (local tools fake it)', async () => {
    // Prepare
    process.env.AWS_LAMBDA_LOG_STREAM_NAME = '$LATEST'
    await invoke()
    resetContainer()

    // Act
    const second = await invoke()

    // Assess
    expect(second.restartOf).toBeNull()
    expect(readdirSync(environmentTmp)).toEqual([])
  })

  it('ignores a marker of another environment, and a corrupt one', async () => {
    // Prepare
    await invoke()
    const [markerName] = readdirSync(environmentTmp)
    const markerPath = join(environmentTmp, markerName as string)
    const marker = JSON.parse(readFileSync(markerPath, 'utf8'))
    writeFileSync(
      markerPath,
      JSON.stringify({ ...marker, environmentId: '2026/11/26/[$LATEST]ffffffffffffffffffffffffffffffff' }),
    )
    resetContainer()
    const otherEnvironment = await invoke()
    writeFileSync(markerPath, '{not json')
    resetContainer()

    // Act
    const corrupt = await invoke()

    // Assess
    expect(otherEnvironment.restartOf).toBeNull()
    expect(corrupt.restartOf).toBeNull()
  })

  it('keeps serving when the temp directory cannot be written', async () => {
    // Prepare
    process.env.TMPDIR = join(environmentTmp, 'missing', 'dir')

    // Act
    const view = await invoke()

    // Assess
    expect(view.invocation).toBe(1)
    expect(view.restartOf).toBeNull()
  })
})
