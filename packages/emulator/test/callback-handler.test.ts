/**
 * The adapter that lets Node 22 run callback-style handlers as Lambda's nodejs22.x does. It runs in
 * the runtime process; here it is loaded in a child Node.js the way the runtime client loads it.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from '@jest/globals'
import type { ResolvedFunction } from '../src/options.js'
import { handlerEnv } from '../src/sandbox.js'

const adapter = fileURLToPath(new URL('../runtime/callback-handler.mjs', import.meta.url))
const handlers = fileURLToPath(new URL('../../../test/emulator/fixtures/handlers', import.meta.url))

/** Loads the adapter for `handler` and calls it with `event`; returns what it resolved or rejected with. */
const callThroughAdapter = (
  handler: string,
  event: unknown,
): { ok?: unknown; error?: string; seen: string } => {
  const script = `
    let seen
    try {
      const { handler } = await import(${JSON.stringify(adapter)})
      seen = process.env._HANDLER
      console.log(JSON.stringify({ ok: await handler(${JSON.stringify(event)}, { awsRequestId: 'r1' }), seen }))
    } catch (error) {
      console.log(JSON.stringify({ error: error.message, seen }))
    }`
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: handlers, _LAMBDA_LIFETIME_HANDLER: handler },
    encoding: 'utf8',
  })
  // The last line is the answer; a module may print before it.
  return JSON.parse(output.trim().split('\n').at(-1) as string)
}

describe('callback adapter', () => {
  test('a callback result and a callback error become the async handler outcome', () => {
    // Act
    const ok = callThroughAdapter('callback.handler', { name: 'there' })
    const failed = callThroughAdapter('callback.handler', { fail: true })

    // Assess
    expect(ok).toEqual({
      ok: { statusCode: 200, body: 'hello there', requestId: 'r1' },
      seen: 'callback.handler',
    })
    expect(failed.error).toBe('asked to fail')
  })

  test('an async handler is handed over as it is; an import error and a missing export fail the init', () => {
    // Act
    const hello = callThroughAdapter('hello.handler', { name: 'esm' })
    const broken = callThroughAdapter('throws-at-import.handler', {})
    const missing = callThroughAdapter('callback.nothing', {})

    // Assess
    expect(hello.ok).toEqual({ hello: 'esm' })
    expect(broken.error).toBe('TABLE_NAME is not set')
    expect(missing.error).toBe('callback.nothing is undefined or not exported')
  })

  test('Node 22 outside Managed Instances goes through the adapter; Node 24 and Managed Instances do not', () => {
    // Prepare
    const fn = { handler: 'index.handler', managedInstances: null } as unknown as ResolvedFunction
    const managed = { ...fn, managedInstances: { maxConcurrency: 2, workers: 1 } } as ResolvedFunction

    // Act & Assess
    expect(handlerEnv(fn, 22)).toEqual({
      _HANDLER: adapter.replace(/\.mjs$/, '.handler'),
      _LAMBDA_LIFETIME_HANDLER: 'index.handler',
    })
    expect(handlerEnv(fn, 24)).toEqual({ _HANDLER: 'index.handler' })
    expect(handlerEnv(managed, 22)).toEqual({ _HANDLER: 'index.handler' })
  })
})
