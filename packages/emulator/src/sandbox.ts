/**
 * What a runtime process finds around it: Lambda's environment variables and its /tmp folder.
 */
import { rmdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
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
 * The Node.js arguments of a runtime process: the runtime client, and before it, unless turned off,
 * the hook that provides the AWS SDK for JavaScript v3 as Lambda's Node.js runtimes do. The SDK
 * comes from the node_modules above this module (the copy installed with the emulator).
 *
 * @example
 * ```ts
 * runtimeArgs(fn, findRuntimeClient()) // ['--import', 'file:///…/runtime/aws-sdk.mjs?from=…', '/…/aws-lambda-ric/index.mjs', 'index.handler']
 * ```
 */
export const runtimeArgs = (fn: ResolvedFunction, runtimeClient: string): string[] => {
  const hook = new URL(AWS_SDK_HOOK)
  hook.searchParams.set('from', import.meta.url)
  return [...(fn.provideAwsSdk ? ['--import', hook.href] : []), runtimeClient, fn.handler]
}

/** The variables Lambda sets for a Node.js runtime, and the function's own. */
export const runtimeEnv = (
  fn: ResolvedFunction,
  initType: EmulatorInitType,
  id: string,
  runtimeApi: string,
  runtimeClient: string,
  tmpDir: string,
): NodeJS.ProcessEnv => {
  const passThrough = [
    'PATH',
    'HOME',
    'LANG',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
  ]
  const inherited = Object.fromEntries(
    passThrough.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])),
  )
  const managed = fn.managedInstances
  return {
    ...inherited,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${runtimeNodeMajor()}.x`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_INITIALIZATION_TYPE: initType,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: id,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    LAMBDA_TASK_ROOT: fn.codeDir,
    LAMBDA_RUNTIME_DIR: join(runtimeClient, '..'),
    TMPDIR: tmpDir,
    TZ: ':UTC',
    ...(managed
      ? {
          AWS_LAMBDA_MAX_CONCURRENCY: String(managed.maxConcurrency),
          AWS_LAMBDA_NODEJS_WORKER_COUNT: String(managed.workers),
        }
      : {}),
    ...fn.env,
    ...handlerEnv(fn),
    [OWNER_VARIABLE]: ownerMark(),
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
