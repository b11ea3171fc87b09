/**
 * What a runtime process finds around it: Lambda's environment variables and its /tmp folder.
 */
import { spawnSync } from 'node:child_process'
import { realpathSync, rmdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isRecord, type Rule, rules } from '@lambda-lifetime/commons'
import { heapArgs } from './memory.js'
import type { ResolvedFunction } from './options.js'
import { OWNER_VARIABLE, ownerMark } from './orphans.js'
import type { EmulatorInitType } from './types.js'

/** The /tmp of an environment: `$TMPDIR/lambda-lifetime/<function>/<environment>`. */
export const tmpDirOf = (functionName: string, environmentId: string): string =>
  join(tmpdir(), 'lambda-lifetime', functionName, environmentId.slice(-32))

/** Major version of the Node.js that runs the runtimes (the emulator's own). */
export const runtimeNodeMajor = (): number => Number(process.versions.node.split('.')[0])

/** The module that runs callback-style handlers on Node 22 (see runtime/callback-handler.mjs). */
const CALLBACK_HANDLER = fileURLToPath(new URL('../runtime/callback-handler.mjs', import.meta.url))

/**
 * `_HANDLER` for the runtime client. Lambda's nodejs22.x runs callback-style handlers, which
 * aws-lambda-ric 4.x refuses: on Node 22 outside Managed Instances the client loads an adapter that
 * loads the function's handler (named in `_LAMBDA_LIFETIME_HANDLER`, restored to `_HANDLER` before
 * the function's code runs). Node 24 and Managed Instances keep the client's own rule and words.
 */
export const handlerEnv = (fn: ResolvedFunction, major = runtimeNodeMajor()): Record<string, string> =>
  major === 22 && fn.managedInstances === null
    ? { _HANDLER: CALLBACK_HANDLER.replace(/\.mjs$/, '.handler'), _LAMBDA_LIFETIME_HANDLER: fn.handler }
    : { _HANDLER: fn.handler }

/** The module that lets functions import the AWS SDK they do not ship (see runtime/aws-sdk.mjs). */
const AWS_SDK_HOOK = new URL('../runtime/aws-sdk.mjs', import.meta.url)

/**
 * The Node.js arguments of a runtime process: the V8 heap sized from the memory size as Lambda's
 * bootstrap sizes it (memory.ts), the runtime client, and before it, unless turned off, the hook that
 * provides the AWS SDK for JavaScript v3 as Lambda's Node.js runtimes do. The SDK comes from the
 * node_modules above this module (the copy installed with the emulator).
 *
 * @example
 * ```ts
 * runtimeArgs(fn, findRuntimeClient())
 * // ['--max-semi-space-size=6', '--max-old-space-size=116', '--import', 'file:///…/runtime/aws-sdk.mjs?from=…', '/…/aws-lambda-ric/index.mjs', 'index.handler']
 * ```
 */
export const runtimeArgs = (fn: ResolvedFunction, runtimeClient: string): string[] => {
  const hook = new URL(AWS_SDK_HOOK)
  hook.searchParams.set('from', import.meta.url)
  return [
    ...heapArgs(fn.memoryMb),
    ...(fn.provideAwsSdk ? ['--import', hook.href] : []),
    runtimeClient,
    fn.handler,
  ]
}

/**
 * The keys Lambda sets and refuses to let a function set (the developer guide's "reserved
 * environment variables"; `TZ` among them). The credentials are reserved too: they are the role's.
 */
export const RESERVED_ENV_KEYS: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
]

/**
 * A function's `env` naming reserved keys is refused as Lambda refuses it (`InvalidParameterValueException`).
 *
 * @example
 * ```ts
 * reservedEnvRule({ AWS_REGION: 'eu-west-1' }, 'functions[0].env') // { path, problem: 'is refused: Lambda was unable …' }
 * ```
 */
export const reservedEnvRule: Rule = (value, path) => {
  const used = Object.keys(isRecord(value) ? value : {}).filter((key) => RESERVED_ENV_KEYS.includes(key))
  if (used.length === 0) return undefined
  return {
    path,
    problem: `is refused: Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${used.join(', ')}`,
  }
}

/** Lambda's `LoggingConfig`: the format of the logs and, with JSON, the level the runtime keeps. */
export interface LoggingConfig {
  readonly logFormat: 'Text' | 'JSON'
  /** `AWS_LAMBDA_LOG_LEVEL`, JSON only. Default `INFO`, as Lambda's. */
  readonly applicationLogLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL'
  /** The platform records kept, JSON only: `WARN` drops `platform.start` and `platform.report`. Default `INFO`. */
  readonly systemLogLevel?: 'DEBUG' | 'INFO' | 'WARN'
}

export const loggingConfigRule: Rule = rules.objectOf(
  {
    logFormat: rules.oneOf(['Text', 'JSON']),
    applicationLogLevel: rules.oneOf(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']),
    systemLogLevel: rules.oneOf(['DEBUG', 'INFO', 'WARN']),
  },
  { required: ['logFormat'] },
)

/** Lambda's X-Ray daemon listens on the link-local 169.254.79.129:2000; locally the emulator's receiver. */
const XRAY_DAEMON = '127.0.0.1:2000'

/**
 * The variables Lambda sets for a Node.js runtime, and the function's own. Lambda's paths under
 * `/var/lang` and `/var/runtime` become the emulator's Node and runtime client; nothing of the host's
 * environment is passed on but what `credentials` gives (the host's AWS keys and HOME only with
 * `'host'`).
 */
export const runtimeEnv = (
  fn: ResolvedFunction,
  initType: EmulatorInitType,
  id: string,
  runtimeApi: string,
  runtimeClient: string,
  tmpDir: string,
  credentials: Readonly<Record<string, string>> = {},
  xrayDaemon: string = XRAY_DAEMON,
): NodeJS.ProcessEnv => {
  const [daemonHost, daemonPort] = xrayDaemon.split(':') as [string, string]
  const runtimeDir = dirname(runtimeClient)
  const nodeBin = dirname(process.execPath)
  const managed = fn.managedInstances
  const major = runtimeNodeMajor()
  return {
    LANG: 'en_US.UTF-8',
    PATH: `${nodeBin}:/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
    LD_LIBRARY_PATH: `${join(nodeBin, '..', 'lib')}:/lib64:/usr/lib64:${runtimeDir}:${runtimeDir}/lib:${fn.codeDir}:${fn.codeDir}/lib:/opt/lib`,
    NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:${runtimeDir}/node_modules`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: xrayDaemon,
    _AWS_XRAY_DAEMON_ADDRESS: daemonHost,
    _AWS_XRAY_DAEMON_PORT: daemonPort,
    ...logConfigEnv(fn),
    ...fn.env,
    // Reserved: set last, so that nothing overrides them (options refuse them in `env` anyway).
    ...credentials,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${major}.x`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: initType,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: id,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    LAMBDA_TASK_ROOT: fn.codeDir,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    ...handlerEnv(fn),
    // Marks the process as this emulator's, so the next emulator can end it if this one is killed.
    [OWNER_VARIABLE]: ownerMark(),
    TMPDIR: tmpDir,
    TZ: ':UTC',
    ...(managed
      ? {
          AWS_LAMBDA_MAX_CONCURRENCY: String(managed.maxConcurrency),
          AWS_LAMBDA_NODEJS_WORKER_COUNT: String(managed.workers),
        }
      : {}),
  }
}

/** `AWS_LAMBDA_LOG_FORMAT` and `AWS_LAMBDA_LOG_LEVEL` as Lambda derives them from the logging config. */
const logConfigEnv = (fn: ResolvedFunction): Record<string, string> => {
  const logging = fn.loggingConfig
  if (logging === null || logging.logFormat !== 'JSON') return {}
  return {
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: logging.applicationLogLevel ?? 'INFO',
  }
}

/**
 * The environment's /tmp goes with it, and so do the folders above it once they are empty. A /tmp
 * that cannot be removed (it was never made, say) does not stop the shutdown.
 */
export const removeTmpDir = (dir: string): void => {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {
    return
  }
  const root = join(tmpdir(), 'lambda-lifetime')
  for (let parent = dirname(dir); parent.startsWith(root); parent = dirname(parent)) {
    try {
      rmdirSync(parent)
    } catch {
      return // Not empty: another environment of the function still lives.
    }
  }
}

let privateTmpAnswer: boolean | undefined

/**
 * Whether this machine can give a process its own /tmp: Linux, `unshare` and the right to make a
 * mount namespace (root, or CAP_SYS_ADMIN). Asked once.
 *
 * @example
 * ```ts
 * privateTmpAvailable() // true as root on Linux
 * ```
 */
export const privateTmpAvailable = (): boolean => {
  privateTmpAnswer ??=
    process.platform === 'linux' &&
    spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0
  return privateTmpAnswer
}

const realPath = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/**
 * What a private /tmp would hide from a runtime: the mount covers everything under the host's /tmp, so a
 * function, Node or the emulator itself installed there (a checkout in /tmp, a CI clone) would vanish.
 * Empty when the private /tmp is safe.
 *
 * @example
 * ```ts
 * hiddenByPrivateTmp(['/tmp/app/dist', '/usr/bin/node']) // ['/tmp/app/dist']
 * ```
 */
export const hiddenByPrivateTmp = (paths: readonly string[]): string[] =>
  paths.filter((path) => {
    const real = realPath(path)
    return real === '/tmp' || real.startsWith('/tmp/')
  })

/** The paths a runtime of `fn` reads from: its code, Node, the runtime client, the emulator's runtime hooks. */
export const runtimePaths = (fn: ResolvedFunction, runtimeClient: string): string[] => [
  fn.codeDir,
  process.execPath,
  runtimeClient,
  fileURLToPath(new URL('../runtime/', import.meta.url)),
]

/**
 * The command that runs `command args` with the environment's folder mounted on /tmp, in a mount
 * namespace of its own: code that writes to a hard-coded /tmp writes there, as in Lambda. The
 * process keeps its pid (unshare and sh exec into it). TMPDIR must then be `/tmp`: the folder's own
 * path is hidden under the mount.
 *
 * @example
 * ```ts
 * withPrivateTmp('/usr/bin/node', ['ric.js', 'index.handler'], '/tmp/lambda-lifetime/f/abc')
 * // { command: 'unshare', args: ['--mount', '--propagation', 'private', '/bin/sh', '-c', …] }
 * ```
 */
export const withPrivateTmp = (
  command: string,
  args: readonly string[],
  tmpDir: string,
): { command: string; args: string[] } => ({
  command: 'unshare',
  args: [
    '--mount',
    '--propagation',
    'private',
    '/bin/sh',
    '-c',
    'mount --bind "$0" /tmp && exec "$@"',
    tmpDir,
    command,
    ...args,
  ],
})

/**
 * The terminal's line about /tmp.
 *
 * @example
 * ```ts
 * describeTmp(false, false) // '/tmp: shared with the host; each environment has its own TMPDIR …'
 * ```
 */
export const describeTmp = (asked: boolean, available: boolean, hidden: readonly string[] = []): string => {
  if (asked && available && hidden.length === 0)
    return "/tmp: private per environment (a mount namespace: /tmp and TMPDIR are the environment's folder)"
  const shared =
    "/tmp: shared with the host; each environment has its own TMPDIR (code that writes to a hard-coded /tmp shares the host's)"
  if (!asked) return `${shared}; option privateTmp: true gives each its own where the machine allows`
  if (!available) return `${shared}: privateTmp needs Linux, unshare and root here`
  return `${shared}: a private /tmp would hide ${hidden.join(', ')}, which the runtime needs (move them out of /tmp)`
}
