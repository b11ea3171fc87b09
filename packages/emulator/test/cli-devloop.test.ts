/**
 * The daily-loop commands' answers to what a person may type: `event` without a source or with a bad
 * flag, `invoke` with two events, nothing to read, or a terminal for input, `logs` with and without
 * streams, `serve --template` of a project with nothing to run, and the dev server's own edges.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, test } from '@jest/globals'
import { runCli, startDevServer } from '@lambda-lifetime/emulator'

const STREAM = '2026-12-04-[$LATEST]0c043fa44889969a82ad0b09bd15493d.log'
const UNREACHABLE = 'http://127.0.0.1:9'

const temps: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-devloop-'))
  temps.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const run = async (
  args: string[],
  options: { stdin?: string; stdinTTY?: boolean; signal?: AbortSignal } = {},
): Promise<{ code: number; out: string; err: string }> => {
  const out = new PassThrough()
  const err = new PassThrough()
  const text = { out: '', err: '' }
  out.on('data', (chunk: Buffer) => {
    text.out += chunk.toString()
  })
  err.on('data', (chunk: Buffer) => {
    text.err += chunk.toString()
  })
  let stdin: (PassThrough & { isTTY?: boolean }) | undefined
  if (options.stdin !== undefined || options.stdinTTY) {
    stdin = Object.assign(new PassThrough(), { isTTY: options.stdinTTY === true })
    if (options.stdin !== undefined) stdin.end(options.stdin)
  }
  const code = await runCli(args, {
    out,
    err,
    ...(stdin === undefined ? {} : { stdin }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  return { code, ...text }
}

describe('lambda-lifetime event', () => {
  test('prints a sample with the flags given, in both spellings', async () => {
    // Act
    const s3 = await run(['event', 's3', '--bucket=uploads', '--key', 'a.png', '--size', '10'])

    // Assess
    expect(s3.code).toBe(0)
    const record = (
      JSON.parse(s3.out) as {
        Records: { s3: { bucket: { name: string }; object: { key: string; size: number } } }[]
      }
    ).Records[0]
    expect(record?.s3.bucket.name).toBe('uploads')
    expect(record?.s3.object).toMatchObject({ key: 'a.png', size: 10 })
  })

  test('--help lists the sources; no source prints it and exits 2; a bad source or flag says what is wrong', async () => {
    // Act
    const help = await run(['event', '--help'])
    const none = await run(['event'])
    const unknown = await run(['event', 'kafka'])
    const noValue = await run(['event', 's3', '--bucket'])
    const wrongFlag = await run(['event', 'sqs', '--bucket', 'b'])

    // Assess
    expect(help.code).toBe(0)
    expect(help.out).toContain('eventbridge   EventBridge event from a custom bus')
    expect(help.out).toContain('--detail-type --source --detail')
    expect(none.code).toBe(2)
    expect(none.out).toBe(help.out)
    expect(unknown).toMatchObject({ code: 1 })
    expect(unknown.err).toContain('unknown event source "kafka"; known: http-api, rest-api')
    expect(noValue.err).toContain('--bucket needs a value')
    expect(wrongFlag.err).toContain('event sqs has no option --bucket')
  })
})

describe('lambda-lifetime invoke, where the event comes from', () => {
  test('two events, or standard input asked for but absent, are refused before anything is sent', async () => {
    // Act
    const both = await run(['invoke', 'fn', '--endpoint', UNREACHABLE, '--event', '-', '--payload', '{}'])
    const noStdin = await run(['invoke', 'fn', '--endpoint', UNREACHABLE, '--event', '-'])

    // Assess
    expect(both.err).toContain('give the event once: --event FILE or --payload JSON, not both')
    expect(noStdin.err).toContain('no standard input to read the event from')
  })

  test('a terminal or empty standard input sends {} with a note', async () => {
    // Act
    const terminal = await run(['invoke', 'fn', '--endpoint', UNREACHABLE], { stdinTTY: true })
    const empty = await run(['invoke', 'fn', '--endpoint', UNREACHABLE], { stdin: '' })

    // Assess: the note, then the unreachable endpoint's message (the event was on its way)
    for (const result of [terminal, empty]) {
      expect(result.code).toBe(1)
      expect(result.err).toContain('no --event or --payload: sending {}')
      expect(result.err).toContain(`no emulator answers at ${UNREACHABLE}`)
    }
  })
})

describe('lambda-lifetime logs', () => {
  test('prints every stream readably, one function when named; no folder says what to do', async () => {
    // Prepare
    const logDir = tempDir()
    mkdirSync(join(logDir, 'api'))
    writeFileSync(join(logDir, 'api', STREAM), '2026-12-04T10:00:01.234Z\tabc\tINFO\tsaved\n')

    // Act
    const all = await run(['logs', '--log-dir', logDir])
    const raw = await run(['logs', 'api', '--log-dir', logDir, '--raw'])
    const missing = await run(['logs', '--log-dir', join(logDir, 'none')])
    const help = await run(['logs', '--help'])

    // Assess
    expect(all).toEqual({ code: 0, out: 'api 0c043fa4 │ 10:00:01.234 INFO  saved\n', err: '' })
    expect(raw.out).toBe('api 0c043fa4 │ 2026-12-04T10:00:01.234Z\tabc\tINFO\tsaved\n')
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('no log streams in')
    expect(help.out).toContain('--follow')
  })

  test('--follow keeps printing until stopped', async () => {
    // Prepare
    const logDir = tempDir()
    mkdirSync(join(logDir, 'api'))
    const stop = new AbortController()

    // Act
    const following = run(['logs', '--follow', '--log-dir', logDir], { signal: stop.signal })
    writeFileSync(join(logDir, 'api', STREAM), 'later\n')
    // Whenever the follower sees it (a poll, or the last read at the stop), the line is printed.
    stop.abort()
    const result = await following

    // Assess
    expect(result).toEqual({ code: 0, out: 'api 0c043fa4 │ later\n', err: '' })
  })
})

describe('the dev server at start', () => {
  test('a first build that fails is an error with the file and line; region and account reach the template', async () => {
    // Prepare
    const dir = tempDir()
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src', 'app.ts'), 'export const handler = async () => {\n  return (\n}\n')
    writeFileSync(
      join(dir, 'template.yaml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n      Runtime: nodejs24.x\n      CodeUri: src\n      Environment:\n        Variables:\n          WHERE: !Join ["/", [!Ref AWS::Region, !Ref AWS::AccountId]]\n',
    )
    const broken = startDevServer({ template: dir, watch: false, emulator: { logDir: join(dir, 'logs') } })

    // Act / Assess
    await expect(broken).rejects.toThrow(/Fn: build failed, nothing to serve\n.*src\/app\.ts:3:\d+: error/)

    // Prepare: fixed
    writeFileSync(join(dir, 'src', 'app.ts'), 'export const handler = async () => process.env.WHERE\n')
    writeFileSync(join(dir, 'env.json'), '{}')
    const server = await startDevServer({
      template: dir,
      watch: false,
      envVarsFile: join(dir, 'env.json'),
      emulator: { logDir: join(dir, 'logs'), region: 'eu-west-1', accountId: '123456789012' },
    })
    try {
      // Act
      const result = await server.emulator.invoke('Fn', {})

      // Assess
      expect(JSON.parse(result.payload)).toBe('eu-west-1/123456789012')
    } finally {
      await server.stop()
    }
  }, 30_000)
})

describe('serve of a TypeScript handler without a template', () => {
  test('says that the runtime cannot load TypeScript and what to do', async () => {
    // Prepare
    const dir = tempDir()
    writeFileSync(join(dir, 'index.ts'), 'export const handler = async (): Promise<number> => 1\n')

    // Act
    const result = await run([
      'serve',
      '--handler',
      'index.handler',
      '--code-dir',
      dir,
      '--port',
      '0',
      '--no-http',
    ])

    // Assess
    expect(result.code).toBe(1)
    expect(result.err).toContain(
      'index.ts is TypeScript, which the runtime cannot load: serve a SAM template or cdk.out with --template',
    )
  })
})

describe('serve --template and the dev server', () => {
  test('a project with no function to run says so; an unknown rebuild is refused', async () => {
    // Prepare
    const dir = tempDir()
    writeFileSync(
      join(dir, 'template.yaml'),
      'Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n  Queue:\n    Type: AWS::SQS::Queue\n  Other:\n    Type: AWS::SQS::Queue\n',
    )
    mkdirSync(join(dir, 'fn'))
    writeFileSync(join(dir, 'fn', 'index.mjs'), 'export const handler = async () => ({ ok: true })\n')
    const withFunction = join(dir, 'app')
    mkdirSync(withFunction)
    writeFileSync(
      join(withFunction, 'template.yaml'),
      'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: nodejs24.x\n      CodeUri: ../fn\n',
    )

    // Act
    const empty = await run([
      'serve',
      '--template',
      dir,
      '--port',
      '0',
      '--no-http',
      '--log-dir',
      join(dir, 'logs'),
    ])
    const lines: string[] = []
    const server = await startDevServer({
      template: withFunction,
      watch: false,
      emulator: { logDir: join(dir, 'logs') },
      print: (line) => lines.push(line),
    })
    let rebuild: unknown
    try {
      rebuild = await server.rebuild('nope').catch((error: Error) => error.message)
      const invoked = await server.emulator.invoke('Fn', {})

      // Assess
      expect(JSON.parse(invoked.payload)).toEqual({ ok: true })
    } finally {
      await server.stop()
    }
    expect(empty.code).toBe(1)
    expect(empty.out).toContain(
      'not run locally (no local meaning, or not supported): AWS::DynamoDB::Table, AWS::SQS::Queue ×2',
    )
    expect(empty.err).toContain('no function with local code to serve')
    expect(rebuild).toContain('no function nope in')
    expect(server.routes).toEqual([])
  })
})
