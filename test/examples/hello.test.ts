/**
 * examples/hello on the emulator, end to end: bundled as for AWS, run by the real AWS runtime client,
 * called through the HTTP front door and the Invoke API. The article's point, as a test: the second
 * request is served by the same container.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { type Emulator, startEmulator } from '@lambda-lifetime/emulator'
import { bundleExample } from '../../scripts/local/bundle.mjs'

interface HelloBody {
  containerId: string
  invocation: number
  startType: string
  input: { rawPath?: string; requestContext?: { http?: { method?: string } }; hello?: string }
}

let emulator: Emulator
let logDir: string

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), 'hello-logs-'))
  const { taskRoot, handler } = await bundleExample('hello')
  emulator = await startEmulator({
    functions: [{ name: 'hello', handler, codeDir: taskRoot }],
    httpPort: 0,
    logDir,
  })
}, 60_000)

afterAll(async () => {
  await emulator?.stop()
  await rm(logDir, { recursive: true, force: true })
}, 30_000)

const get = async (path: string): Promise<{ status: number; body: HelloBody }> => {
  const response = await fetch(`${emulator.httpUrl}${path}`)
  return { status: response.status, body: (await response.json()) as HelloBody }
}

describe('examples/hello on the emulator', () => {
  it('serves sequential requests from one reused container, counting its invocations', async () => {
    // Act
    const first = await get('/hello')
    const second = await get('/hello?again=1')

    // Assess
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ invocation: 1, startType: 'cold' })
    expect(first.body.input).toMatchObject({ rawPath: '/hello', requestContext: { http: { method: 'GET' } } })
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({
      containerId: first.body.containerId,
      invocation: 2,
      startType: 'warm',
    })
    expect(emulator.environments('hello')).toHaveLength(1)
  }, 30_000)

  it('answers the Invoke API from the same warm container, echoing the event', async () => {
    // Prepare
    const before = await get('/hello')

    // Act
    const result = await emulator.invoke('hello', { hello: 'world' })

    // Assess
    const response = JSON.parse(result.payload) as { statusCode: number; body: string }
    const body = JSON.parse(response.body) as HelloBody
    expect(result.functionError).toBeUndefined()
    expect(response.statusCode).toBe(200)
    expect(body).toMatchObject({
      containerId: before.body.containerId,
      invocation: before.body.invocation + 1,
    })
    expect(body.input).toEqual({ hello: 'world' })
  }, 30_000)
})
