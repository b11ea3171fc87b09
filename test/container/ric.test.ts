/**
 * The container package under the real AWS Lambda runtime client (aws-lambda-ric 4), as Lambda runs it:
 * one runtime process per environment, reused across invocations; a crash resets the runtime but keeps
 * the environment's log stream and temp directory.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { InvocationView } from '@lambda-lifetime/container'
import { startRuntimeApi } from './runtime-api.js'

const here = dirname(fileURLToPath(import.meta.url))
const ricEntry = join(
  dirname(createRequire(import.meta.url).resolve('aws-lambda-ric/package.json')),
  'index.mjs',
)
const builtContainer = join(here, '..', '..', 'packages', 'container', 'lib', 'index.js')
const STREAM = '2026/11/27/[$LATEST]5f0c6f2a9e1b4d7c8a3b2c1d0e9f8a7b'

describe('containerLifetime under aws-lambda-ric', () => {
  let api: Awaited<ReturnType<typeof startRuntimeApi>>
  let environmentTmp: string
  const runtimes: ChildProcess[] = []

  const startRuntime = () => {
    const runtime = spawn(process.execPath, [ricEntry], {
      cwd: join(here, 'fixtures'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        AWS_LAMBDA_RUNTIME_API: api.address,
        _HANDLER: 'lifetime.handler',
        LAMBDA_TASK_ROOT: join(here, 'fixtures'),
        AWS_LAMBDA_FUNCTION_NAME: 'lifetime',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/lifetime',
        AWS_LAMBDA_LOG_STREAM_NAME: STREAM,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_REGION: 'eu-west-1',
        TMPDIR: environmentTmp,
      },
    })
    runtimes.push(runtime)
    return runtime
  }

  beforeAll(async () => {
    if (!existsSync(builtContainer))
      throw new Error('packages/container is not built: run `npm run build` first')
    api = await startRuntimeApi()
    environmentTmp = mkdtempSync(join(tmpdir(), 'll-ric-'))
  })

  afterAll(async () => {
    for (const runtime of runtimes) runtime.kill('SIGKILL')
    await api.close()
    rmSync(environmentTmp, { recursive: true, force: true })
  })

  it('keeps one container across warm invocations, then reports restartOf after a crash', async () => {
    // Prepare
    const first = startRuntime()

    // Act: three invocations of one runtime
    const views: InvocationView[] = []
    for (let index = 0; index < 3; index++) views.push((await api.invoke({ index })).body as InvocationView)
    // Act: the runtime crashes; Lambda starts a new one in the same environment
    const exited = new Promise((resolve) => first.once('exit', resolve))
    void api.invoke({ crash: true })
    await exited
    startRuntime()
    const afterRestart = (await api.invoke({ index: 3 })).body as InvocationView

    // Assess
    expect(views.map((view) => view.invocation)).toEqual([1, 2, 3])
    expect(new Set(views.map((view) => view.containerId)).size).toBe(1)
    expect(views.map((view) => view.coldStart)).toEqual([true, false, false])
    expect(views.every((view) => view.environmentId === STREAM && view.initType === 'on-demand')).toBe(true)
    expect(afterRestart.containerId).not.toBe(views[0]?.containerId)
    expect(afterRestart.restartOf).toBe(views[0]?.containerId)
    expect(afterRestart).toMatchObject({ invocation: 1, coldStart: true, environmentId: STREAM })
  })
})
