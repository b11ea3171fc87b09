/**
 * What AWS credentials a function sees. Lambda hands it its execution role's temporary credentials
 * and nothing of anyone's `~/.aws`; locally the default is no credentials at all (`'none'`), the
 * host's own with `'host'`, or a role assumed with the host's credentials (`{ roleArn }`).
 */
import { describeValue, isRecord, type Rule, rules } from '@lambda-lifetime/commons'

export interface AssumeRoleOptions {
  /** The role to assume with the host's credentials (STS AssumeRole), as Lambda assumes the execution role. */
  readonly roleArn: string
  /** Default `lambda-lifetime-<function>`. */
  readonly sessionName?: string
  /** Seconds the credentials last, 900 to 43200. Default 3600; refreshed 5 minutes before they expire. */
  readonly durationSeconds?: number
}

/** Fixed keys handed to the function, for local services that accept any (dynalite, LocalStack). */
export interface StaticCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
}

export type CredentialsOption = 'none' | 'host' | AssumeRoleOptions | StaticCredentials

const isStatic = (option: CredentialsOption): option is StaticCredentials =>
  typeof option === 'object' && 'accessKeyId' in option

/** Where the AWS SDK looks for credentials besides the environment variables. */
const HOST_CREDENTIAL_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'HOME',
] as const

const ROLE_SCHEMA = {
  roleArn: rules.string({
    pattern: /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/\S+$/,
    expected: 'an IAM role ARN',
  }),
  sessionName: rules.string({ pattern: /^[\w+=,.@-]{2,64}$/, expected: 'a role session name' }),
  durationSeconds: rules.number({ min: 900, max: 43_200, integer: true }),
}

const STATIC_SCHEMA = {
  accessKeyId: rules.string({ nonEmpty: true }),
  secretAccessKey: rules.string({ nonEmpty: true }),
  sessionToken: rules.string({ nonEmpty: true }),
}

/** The option's rule. */
export const credentialsRule: Rule = (value, path) => {
  if (value === 'none' || value === 'host') return undefined
  if (!isRecord(value))
    return {
      path,
      problem: `must be "none", "host", { roleArn } or { accessKeyId, secretAccessKey }, got ${describeValue(value)}`,
    }
  if ('accessKeyId' in value)
    return rules.objectOf(STATIC_SCHEMA, { required: ['accessKeyId', 'secretAccessKey'] })(value, path)
  return rules.objectOf(ROLE_SCHEMA, { required: ['roleArn'] })(value, path)
}

/**
 * The variables of `'none'` and `'host'`. With `'none'` the SDK finds no shared config or credentials
 * file (it would fall back to the host's home folder) and does not wait for an instance metadata
 * service, so a call fails at once, as it does on Lambda with a role that lacks the permission.
 *
 * @example
 * ```ts
 * staticCredentialsEnv('none') // { AWS_CONFIG_FILE: '/dev/null', … }
 * ```
 */
export const staticCredentialsEnv = (option: 'none' | 'host'): Record<string, string> => {
  if (option === 'none') {
    return {
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    }
  }
  return Object.fromEntries(
    HOST_CREDENTIAL_KEYS.flatMap((key) => (process.env[key] ? [[key, process.env[key] as string]] : [])),
  )
}

/**
 * One line for the terminal saying which credentials the functions get.
 *
 * @example
 * ```ts
 * describeCredentials('none') // 'credentials: none (the host's AWS keys and ~/.aws are hidden; …)'
 * ```
 */
export const describeCredentials = (option: CredentialsOption): string =>
  option === 'none'
    ? "credentials: none (the host's AWS keys and ~/.aws are hidden; option credentials: 'host' or { roleArn } gives some)"
    : option === 'host'
      ? "credentials: the host's (AWS_* keys, AWS_PROFILE and ~/.aws are passed on)"
      : isStatic(option)
        ? "credentials: the fixed keys of option credentials (the host's keys and ~/.aws are hidden)"
        : `credentials: role ${option.roleArn}, assumed with the host's credentials and refreshed before they expire`

/** Temporary credentials as the runtime finds them. */
type SessionEnv = Record<'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_SESSION_TOKEN', string>

const REFRESH_AHEAD_MS = 5 * 60_000

/**
 * The credentials the functions get, kept fresh: for a role, a session assumed at start and again
 * 5 minutes before it expires; new runtimes take the newest. Call `stop()` to end the refreshing.
 *
 * @example
 * ```ts
 * const source = await CredentialSource.start({ roleArn: 'arn:aws:iam::123456789012:role/app' }, 'us-east-1', 'hello')
 * source.env() // { AWS_ACCESS_KEY_ID: 'ASIA…', AWS_SECRET_ACCESS_KEY: '…', AWS_SESSION_TOKEN: '…' }
 * source.stop()
 * ```
 */
export class CredentialSource {
  readonly option: CredentialsOption
  #env: Record<string, string>
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  #onError: (error: Error) => void

  private constructor(
    option: CredentialsOption,
    env: Record<string, string>,
    onError: (error: Error) => void,
  ) {
    this.option = option
    this.#env = env
    this.#onError = onError
  }

  static async start(
    option: CredentialsOption,
    region: string,
    onError: (error: Error) => void = () => {},
  ): Promise<CredentialSource> {
    if (option === 'none' || option === 'host')
      return new CredentialSource(option, staticCredentialsEnv(option), onError)
    if (isStatic(option)) {
      const keys = {
        AWS_ACCESS_KEY_ID: option.accessKeyId,
        AWS_SECRET_ACCESS_KEY: option.secretAccessKey,
        ...(option.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: option.sessionToken }),
      }
      return new CredentialSource(option, { ...staticCredentialsEnv('none'), ...keys }, onError)
    }
    const source = new CredentialSource(option, {}, onError)
    await source.#assume(option, region)
    return source
  }

  async #assume(role: AssumeRoleOptions, region: string): Promise<void> {
    const { AssumeRoleCommand, STSClient } = await import('@aws-sdk/nested-clients/sts')
    const client = new STSClient({ region })
    try {
      const answer = await client.send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: role.sessionName ?? 'lambda-lifetime',
          DurationSeconds: role.durationSeconds ?? 3600,
        }),
      )
      const credentials = answer.Credentials
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
        throw new Error(`STS AssumeRole of ${role.roleArn} returned no credentials`)
      }
      const session: SessionEnv = {
        AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
        AWS_SESSION_TOKEN: credentials.SessionToken,
      }
      this.#env = { ...staticCredentialsEnv('none'), ...session }
      if (this.#stopped) return
      const expiresAt =
        credentials.Expiration?.getTime() ?? Date.now() + (role.durationSeconds ?? 3600) * 1000
      const refreshInMs = Math.max(1_000, expiresAt - Date.now() - REFRESH_AHEAD_MS)
      this.#timer = setTimeout(
        () => {
          this.#assume(role, region).catch((error: unknown) => this.#onError(error as Error))
        },
        Math.min(refreshInMs, 2 ** 31 - 1),
      )
      this.#timer.unref()
    } finally {
      client.destroy()
    }
  }

  /** The variables a runtime started now gets. */
  env(): Record<string, string> {
    return this.#env
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }
}
