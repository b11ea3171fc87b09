import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts'
import { afterEach, describe, expect, test } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { CredentialSource, credentialsRule, describeCredentials } from '../src/credentials.js'

const sts = mockClient(STSClient)
const roleArn = 'arn:aws:iam::123456789012:role/app'
const session = (key: string, expiresInMs: number) => ({
  Credentials: {
    AccessKeyId: key,
    SecretAccessKey: 's',
    SessionToken: 't',
    Expiration: new Date(Date.now() + expiresInMs),
  },
})

afterEach(() => {
  sts.reset()
})

describe('CredentialSource', () => {
  test('a role session is assumed again before it expires; new runtimes get the new one', async () => {
    // Prepare: expiring in under 5 minutes, the refresh comes after 1 s.
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(session('ASIAFIRST', 1_000))
      .resolves(session('ASIASECOND', 3_600_000))
    const source = await CredentialSource.start(
      { roleArn, sessionName: 'mine', durationSeconds: 900 },
      'us-east-1',
    )
    try {
      // Act
      const first = source.env().AWS_ACCESS_KEY_ID
      const until = Date.now() + 10_000
      while (source.env().AWS_ACCESS_KEY_ID === first && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50))

      // Assess
      expect(first).toBe('ASIAFIRST')
      expect(source.env().AWS_ACCESS_KEY_ID).toBe('ASIASECOND')
      expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
        RoleSessionName: 'mine',
        DurationSeconds: 900,
      })
    } finally {
      source.stop()
    }
  })

  test('a failed refresh is reported; an answer without credentials fails the start', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolvesOnce(session('ASIAFIRST', 0)).rejects(new Error('AccessDenied'))
    const errors: string[] = []

    // Act
    const source = await CredentialSource.start({ roleArn }, 'us-east-1', (error) =>
      errors.push(error.message),
    )
    const until = Date.now() + 10_000
    while (errors.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    source.stop()
    sts.reset()
    sts.on(AssumeRoleCommand).resolves({})

    // Assess
    expect(errors).toEqual(['AccessDenied'])
    expect(source.env().AWS_ACCESS_KEY_ID).toBe('ASIAFIRST')
    await expect(CredentialSource.start({ roleArn }, 'us-east-1')).rejects.toThrow(/returned no credentials/)
  })

  test('the option: none, host or a role ARN; each is said in one line', () => {
    expect(credentialsRule('none', 'credentials')).toBeUndefined()
    expect(credentialsRule({ roleArn }, 'credentials')).toBeUndefined()
    expect(credentialsRule('all', 'credentials')?.problem).toMatch(/must be "none", "host", \{ roleArn \}/)
    expect(credentialsRule({ accessKeyId: 'a' }, 'credentials')).toMatchObject({
      path: 'credentials.secretAccessKey',
      problem: 'is required',
    })
    expect(credentialsRule({ roleArn: 'app' }, 'credentials')?.problem).toMatch(/IAM role ARN/)
    expect(describeCredentials('host')).toMatch(/the host's/)
  })
})
