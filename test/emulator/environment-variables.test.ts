/**
 * The environment variables a function finds, through the AWS SDK and the real runtime client:
 * Lambda's reserved keys cannot be set, its unreserved ones are there, the logging config reaches the
 * runtime, and AWS credentials are none, the host's, or an assumed role's (STS mocked).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts'
import { afterEach, describe, expect, test } from '@jest/globals'
import { startEmulator } from '@lambda-lifetime/emulator'
import { mockClient } from 'aws-sdk-client-mock'
import { fixtures, fn, withEmulator } from './harness.js'

const KEYS = [
  'LANG',
  'PATH',
  'LD_LIBRARY_PATH',
  'NODE_PATH',
  'TZ',
  'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS',
  '_AWS_XRAY_DAEMON_ADDRESS',
  '_AWS_XRAY_DAEMON_PORT',
  'AWS_LAMBDA_LOG_FORMAT',
  'AWS_LAMBDA_LOG_LEVEL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'HOME',
  'MY_SETTING',
]

const hostKeys = { AWS_ACCESS_KEY_ID: 'AKIAHOSTKEY', AWS_SECRET_ACCESS_KEY: 'host-secret' }
const saved = { ...process.env }

afterEach(() => {
  for (const key of Object.keys(hostKeys)) {
    if (saved[key] === undefined) delete process.env[key]
    else process.env[key] = saved[key]
  }
})

const logOf = (logDir: string, functionName: string): string => {
  const dir = join(logDir, functionName)
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => readFileSync(join(dir, file), 'utf8'))
    .join('')
}

describe('environment variables', () => {
  test('a reserved key in env is refused at start with Lambda’s words', async () => {
    // Act
    const started = startEmulator({
      functions: [
        fn('reserved', 'env.handler', { env: { AWS_REGION: 'eu-west-1', TZ: 'Europe/Paris', OK: '1' } }),
      ],
    })

    // Assess
    await expect(started).rejects.toThrow(
      'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION, TZ',
    )
  })

  test('unreserved keys are Lambda’s (overridable), the log config reaches the runtime, no host credentials by default', () => {
    // Prepare
    Object.assign(process.env, hostKeys)
    const config = {
      env: { MY_SETTING: 'x', LANG: 'C.UTF-8' },
      loggingConfig: { logFormat: 'JSON', applicationLogLevel: 'WARN' },
    } as const
    return withEmulator([fn('vars', 'env.handler', config)], {}, async ({ invoke, events, logDir }) => {
      // Act
      const { body } = await invoke('vars', { keys: KEYS })

      // Assess
      expect(body).toMatchObject({
        LANG: 'C.UTF-8',
        TZ: ':UTC',
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
        // The emulator's own X-Ray daemon, on an ephemeral port (test/emulator/xray-daemon.test.ts)
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${body._AWS_XRAY_DAEMON_PORT}`,
        _AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1',
        _AWS_XRAY_DAEMON_PORT: expect.stringMatching(/^[1-9]\d*$/),
        AWS_LAMBDA_LOG_FORMAT: 'JSON',
        AWS_LAMBDA_LOG_LEVEL: 'WARN',
        AWS_ACCESS_KEY_ID: null,
        AWS_SECRET_ACCESS_KEY: null,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        HOME: null,
        MY_SETTING: 'x',
      })
      expect(String(body.PATH).split(':')[0]).toBe(join(process.execPath, '..'))
      expect(String(body.NODE_PATH)).toMatch(/aws-lambda-ric\/node_modules$/)
      expect(String(body.LD_LIBRARY_PATH)).toContain(fixtures)
      const log = logOf(logDir, 'vars')
      expect(log).toMatch(/"level":"WARN".*"message":"warn line"/)
      expect(log).not.toContain('info line')
      expect(log).not.toContain('debug line')
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'emulator.notice',
          message: expect.stringMatching(/^credentials: none/),
        }),
      )
    })
  })

  test("with credentials 'host' the host's keys are passed on", () => {
    // Prepare
    Object.assign(process.env, hostKeys)
    return withEmulator([fn('host', 'env.handler')], { credentials: 'host' }, async ({ invoke }) => {
      // Act
      const { body } = await invoke('host', { keys: KEYS })

      // Assess
      expect(body).toMatchObject({
        ...hostKeys,
        AWS_CONFIG_FILE: saved.AWS_CONFIG_FILE ?? null,
        LANG: 'en_US.UTF-8',
      })
      expect(body.AWS_LAMBDA_LOG_FORMAT).toBeNull()
    })
  })

  test('with fixed keys (for local services such as dynalite) the function gets those and no file', () =>
    withEmulator(
      [fn('fixed', 'env.handler')],
      { credentials: { accessKeyId: 'local', secretAccessKey: 'local-secret' } },
      async ({ invoke, events }) => {
        // Act
        const { body } = await invoke('fixed', { keys: KEYS })

        // Assess
        expect(body).toMatchObject({
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local-secret',
          AWS_SESSION_TOKEN: null,
          AWS_CONFIG_FILE: '/dev/null',
        })
        const notice = events.find((event) => event.type === 'emulator.notice')
        expect(notice).toMatchObject({ message: expect.stringContaining('fixed keys') })
        expect(JSON.stringify(notice)).not.toContain('local-secret')
      },
    ))

  test('with a role, the function gets the session STS gave for it', async () => {
    // Prepare
    Object.assign(process.env, hostKeys)
    const sts = mockClient(STSClient)
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAROLEKEY',
        SecretAccessKey: 'role-secret',
        SessionToken: 'role-token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    })
    const roleArn = 'arn:aws:iam::123456789012:role/app'
    try {
      await withEmulator(
        [fn('role', 'env.handler')],
        { credentials: { roleArn } },
        async ({ invoke, events }) => {
          // Act
          const { body } = await invoke('role', { keys: KEYS })

          // Assess
          expect(body).toMatchObject({
            AWS_ACCESS_KEY_ID: 'ASIAROLEKEY',
            AWS_SECRET_ACCESS_KEY: 'role-secret',
            AWS_SESSION_TOKEN: 'role-token',
            AWS_CONFIG_FILE: '/dev/null',
          })
          expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
            RoleArn: roleArn,
            RoleSessionName: 'lambda-lifetime',
            DurationSeconds: 3600,
          })
          expect(events).toContainEqual(
            expect.objectContaining({ type: 'emulator.notice', message: expect.stringContaining(roleArn) }),
          )
        },
      )
    } finally {
      sts.restore()
    }
  })
})
