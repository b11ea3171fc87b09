/**
 * Handlers written the way deployed projects write them, run through real clients (the AWS SDK's
 * LambdaClient, raw HTTP) and the real aws-lambda-ric.
 */
import { join } from 'node:path'
import { InvokeCommand } from '@aws-sdk/client-lambda'
import { describe, expect, test } from '@jest/globals'
import { fixtures, fn, withEmulator } from './harness.js'

const handlers = join(fixtures, 'handlers')
const inHandlers = (name: string, handler: string, rules = {}) =>
  fn(name, handler, { codeDir: handlers, ...rules })
const decodeTail = (tail: string | undefined): string => Buffer.from(tail ?? '', 'base64').toString('utf8')

describe('trace header', () => {
  test('the runtime gets Root, Parent and Sampled: Powertools Tracer finds its segment and logs no error', () =>
    withEmulator([inHandlers('traced', 'traced.handler')], {}, async ({ invoke }) => {
      // Act
      const result = await invoke('traced', {}, { LogType: 'Tail' })

      // Assess
      const header = String(result.body.traceHeader)
      expect(header).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/)
      expect(result.body.traceId).toBe(/Root=([^;]+)/.exec(header)?.[1])
      expect(decodeTail(result.output.LogResult)).not.toMatch(/missing required information/)
    }))

  test("the caller's X-Amzn-Trace-Id is followed: same Root and sampling, a new Parent", () =>
    withEmulator([inHandlers('traced', 'traced.handler')], {}, async ({ lambda }) => {
      // Prepare
      const root = '1-5759e988-bd862e3fe1be46a994272793'
      const command = new InvokeCommand({ FunctionName: 'traced', Payload: Buffer.from('{}') })
      command.middlewareStack.add(
        (next) => (args) => {
          const request = args.request as { headers: Record<string, string> }
          request.headers['x-amzn-trace-id'] = `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`
          return next(args)
        },
        { step: 'build' },
      )

      // Act
      const output = await lambda.send(command)

      // Assess
      const body = JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8'))
      expect(body.traceHeader).toMatch(new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1$`))
      expect(body.traceHeader).not.toContain('53995c3f42cd8ad8')
      expect(body.traceId).toBe(root)
    }))
})

describe('log tail', () => {
  test('LogType Tail on a failed init returns the init error as Lambda does', () =>
    withEmulator([inHandlers('broken', 'throws-at-import.handler')], {}, async ({ invoke }) => {
      // Act
      const result = await invoke('broken', {}, { LogType: 'Tail' })

      // Assess
      const tail = decodeTail(result.output.LogResult)
      expect(result.output.FunctionError).toBe('Unhandled')
      expect(tail).toContain('TABLE_NAME is not set')
      expect(tail).toMatch(/START RequestId: [0-9a-f-]+ Version: \$LATEST/)
      expect(tail).toMatch(/REPORT RequestId: .*Status: error/)
    }))
})
