/** Defaults, validation and per-function resolution of the emulator's options. */
import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import {
  describeValue,
  findProblem,
  isRecord,
  type OptionSchema,
  type Problem,
  type Rule,
  rules,
} from '@lambda-lifetime/commons'
import { asyncInvokeRule, type ResolvedAsyncInvoke, resolveAsyncInvoke } from './async-invoke.js'
import { credentialsRule } from './credentials.js'
import { invalidOption } from './errors.js'
import type { HttpRoute } from './project/model.js'
import { type LoggingConfig, loggingConfigRule, reservedEnvRule } from './sandbox.js'
import type { TracingMode } from './trace.js'
import type { EmulatorOptions, FunctionConfig, LifetimeRules, ManagedInstancesOptions } from './types.js'

/** Everything one function needs, defaults applied. */
export interface ResolvedFunction {
  readonly name: string
  readonly handler: string
  readonly codeDir: string
  readonly env: Readonly<Record<string, string>>
  readonly memoryMb: number
  readonly timeoutMs: number
  readonly payloadFormat: '1.0' | '2.0'
  /** Reserved concurrency (`ReservedConcurrentExecutions`), null when the function has none. */
  readonly concurrency: number | null
  readonly idleTimeoutMs: number
  readonly maxLifetimeMs: number
  readonly freeze: boolean
  readonly provideAwsSdk: boolean
  readonly provisioned: number
  readonly managedInstances: Required<ManagedInstancesOptions> | null
  readonly initTimeoutMs: number
  readonly shutdownTimeoutMs: number
  readonly region: string
  readonly accountId: string
  readonly arn: string
  /** Retries and on-failure destination of `Event` invocations. */
  readonly asyncInvoke: ResolvedAsyncInvoke
  /** Mount the environment's folder on /tmp in a mount namespace of its own, where the machine allows. */
  readonly privateTmp: boolean
  /** Limit and measure each runtime's memory with a cgroup, where the machine allows (else samples of /proc). */
  readonly memoryCgroups: boolean
  /** Lambda's LoggingConfig (`AWS_LAMBDA_LOG_FORMAT`/`AWS_LAMBDA_LOG_LEVEL`), null for Text. */
  readonly loggingConfig: LoggingConfig | null
  /** The function's `/opt/extensions` (absolute), null when it has none. */
  readonly extensionsDir: string | null
  /** Lambda's `TracingConfig.Mode`. */
  readonly tracing: TracingMode
}

/** The one place of the region and account the emulator pretends to run in. */
export const DEFAULT_REGION = 'us-east-1'
export const DEFAULT_ACCOUNT_ID = '000000000000'

/** Lambda's largest function timeout (900 s). */
export const MAX_FUNCTION_TIMEOUT_MS = 900_000

/** Bounds of the queue of accepted, not yet finished `Event` invocations, per emulator. */
export const EVENT_QUEUE_DEFAULTS = { maxQueuedEvents: 1_000, maxQueuedEventBytes: 64 * 1024 * 1024 } as const

export const RULE_DEFAULTS = {
  // No reservation: the function draws on the account's unreserved concurrency (accountConcurrency).
  concurrency: undefined,
  idleTimeoutMs: 300_000,
  maxLifetimeMs: 7_200_000,
  freeze: true,
  provideAwsSdk: true,
  provisioned: 0,
  managedInstances: false,
  initTimeoutMs: 10_000,
  shutdownTimeoutMs: 500,
} as const satisfies LifetimeRules

const MANAGED_DEFAULTS: Required<ManagedInstancesOptions> = { maxConcurrency: 8, workers: 2, environments: 1 }

const positiveInteger = rules.number({ min: 1, integer: true })
const port = rules.number({ min: 0, max: 65_535, integer: true })

const MANAGED_SCHEMA: OptionSchema = {
  maxConcurrency: positiveInteger,
  workers: positiveInteger,
  environments: positiveInteger,
}

const managedRule: Rule = (value, path) => {
  if (typeof value === 'boolean') return undefined
  if (!isRecord(value))
    return { path, problem: `must be a boolean or an object, got ${describeValue(value)}` }
  return rules.objectOf(MANAGED_SCHEMA)(value, path)
}

const functionTimeoutRule: Rule = (value, path) =>
  rules.duration({ min: 1, max: MAX_FUNCTION_TIMEOUT_MS })(value, path) && {
    path,
    problem: `must be a duration in ms from 1 to ${MAX_FUNCTION_TIMEOUT_MS} (900 s, Lambda's maximum function timeout), got ${describeValue(value)}`,
  }

const LIFETIME_SCHEMA: OptionSchema = {
  concurrency: positiveInteger,
  idleTimeoutMs: rules.duration({ min: 1 }),
  maxLifetimeMs: rules.duration({ min: 1 }),
  freeze: rules.boolean(),
  provideAwsSdk: rules.boolean(),
  provisioned: rules.number({ min: 0, integer: true }),
  managedInstances: managedRule,
  initTimeoutMs: rules.duration({ min: 1 }),
  shutdownTimeoutMs: rules.duration({ min: 0 }),
}

const TRACING_RULE = rules.oneOf(['Active', 'PassThrough'])

const FUNCTION_SCHEMA: OptionSchema = {
  ...LIFETIME_SCHEMA,
  name: rules.string({
    pattern: /^[A-Za-z0-9_-]{1,64}$/,
    expected: 'a function name (1-64 of A-Z a-z 0-9 _ -)',
  }),
  handler: rules.string({
    pattern: /^[^\s]+\.[A-Za-z_$][\w$.]*$/,
    expected: 'a handler like "index.handler"',
  }),
  codeDir: rules.string({ nonEmpty: true, expected: 'a directory path' }),
  env: (value, path) => rules.recordOf(rules.string())(value, path) ?? reservedEnvRule(value, path),
  memoryMb: rules.number({ min: 128, max: 10_240, integer: true }),
  timeoutMs: functionTimeoutRule,
  asyncInvoke: asyncInvokeRule,
  loggingConfig: loggingConfigRule,
  tracing: TRACING_RULE,
  payloadFormat: rules.oneOf(['1.0', '2.0']),
  extensionsDir: rules.string({ nonEmpty: true, expected: 'a directory path' }),
}

const functionRule = rules.objectOf(FUNCTION_SCHEMA, { required: ['name', 'handler', 'codeDir'] })

const EMULATOR_SCHEMA: OptionSchema = {
  ...LIFETIME_SCHEMA,
  functions: rules.arrayOf(functionRule, { nonEmpty: true }),
  host: rules.string({ nonEmpty: true }),
  port,
  httpPort: rules.anyOf([rules.oneOf([false]), port], 'a port from 0 to 65535, or false'),
  httpFunction: rules.string({ nonEmpty: true }),
  httpRoutes: rules.recordOf(
    rules.string({ nonEmpty: true }),
    rules.string({ pattern: /^\/\S*$/, expected: 'a path starting with /' }),
  ),
  apiRoutes: rules.arrayOf(
    rules.objectOf(
      {
        api: rules.string({ nonEmpty: true }),
        kind: rules.oneOf(['http-api', 'rest-api', 'function-url']),
        payloadFormat: rules.oneOf(['1.0', '2.0']),
        method: rules.string({ nonEmpty: true }),
        path: rules.string({
          pattern: /^(\/\S*|\$default)$/,
          expected: 'a path starting with / or $default',
        }),
        functionName: rules.string({ nonEmpty: true }),
      },
      { required: ['api', 'kind', 'payloadFormat', 'method', 'path', 'functionName'] },
    ),
  ),
  logDir: rules.string({ nonEmpty: true }),
  region: rules.string({ pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d+$/, expected: 'a region like "us-east-1"' }),
  accountId: rules.string({ pattern: /^\d{12}$/, expected: 'a 12-digit account id' }),
  maxQueuedEvents: positiveInteger,
  maxQueuedEventBytes: positiveInteger,
  dashboard: rules.boolean(),
  onEvent: rules.function(),
  accountConcurrency: positiveInteger,
  privateTmp: rules.boolean(),
  memoryCgroups: rules.boolean(),
  asyncInvoke: asyncInvokeRule,
  loggingConfig: loggingConfigRule,
  tracing: TRACING_RULE,
  xray: rules.anyOf(
    [
      rules.oneOf([false]),
      rules.objectOf({ port, maxTraces: positiveInteger, maxSegmentsPerTrace: positiveInteger }),
    ],
    'false or { port, maxTraces, maxSegmentsPerTrace }',
  ),
  credentials: credentialsRule,
  extensionsDir: rules.string({ nonEmpty: true, expected: 'a directory path' }),
}

/** A config file may leave the functions to the command's flags. */
const PARTIAL_SCHEMA: OptionSchema = { ...EMULATOR_SCHEMA, functions: rules.arrayOf(functionRule) }

/** The problem's path with the function's name beside it, so a message points at the right function. */
const describeProblem = (options: unknown, problem: Problem): string => {
  const at = /^functions\[(\d+)\]/.exec(problem.path)
  const fn =
    at && isRecord(options) && Array.isArray(options.functions) ? options.functions[Number(at[1])] : null
  const named = isRecord(fn) && typeof fn.name === 'string' ? ` (function "${fn.name}")` : ''
  return `option "${problem.path}"${named} ${problem.problem}`
}

/**
 * The first thing wrong with emulator options, as a sentence naming the option (and the function),
 * or undefined. Config file readers use it to add the file's name; `partial` lets the functions be
 * missing (the command's flags may add them).
 *
 * @example
 * ```ts
 * emulatorOptionsProblem({ functions: [{ name: 'a', handler: 'index.handler' }] })
 * // 'option "functions[0].codeDir" (function "a") is required'
 * ```
 */
export const emulatorOptionsProblem = (
  options: unknown,
  settings: { readonly partial?: boolean } = {},
): string | undefined => {
  if (!isRecord(options)) return `options must be an object, got ${describeValue(options)}`
  const problem = settings.partial
    ? findProblem(PARTIAL_SCHEMA, options)
    : findProblem(EMULATOR_SCHEMA, options, { required: ['functions'] })
  if (problem !== undefined) return describeProblem(options, problem)
  const names = ((options.functions ?? []) as FunctionConfig[]).map((fn) => fn.name)
  const duplicate = names.find((name, index) => names.indexOf(name) !== index)
  if (duplicate !== undefined) return `option "functions" names "${duplicate}" twice`
  if (settings.partial) return undefined
  if (options.httpFunction !== undefined && !names.includes(options.httpFunction as string))
    return `option "httpFunction" names no function: ${describeValue(options.httpFunction)}`
  const routes = Object.entries((options.httpRoutes ?? {}) as Record<string, string>)
  const unknown = routes.find(([, name]) => !names.includes(name))
  if (unknown !== undefined)
    return `option "httpRoutes[${JSON.stringify(unknown[0])}]" names no function: ${describeValue(unknown[1])}`
  const apiRoutes = (options.apiRoutes ?? []) as readonly HttpRoute[]
  const unrouted = apiRoutes.findIndex((route) => !names.includes(route.functionName))
  if (unrouted !== -1)
    return `option "apiRoutes[${unrouted}].functionName" names no function: ${describeValue(apiRoutes[unrouted]?.functionName)}`
  return undefined
}

/**
 * Throws a `TypeError` naming the first bad option (and its function); unknown options are rejected
 * too.
 *
 * @example
 * ```ts
 * emulatorValidateOptions({ functions: [{ name: 'hello', handler: 'index.handler', codeDir: './dist' }] })
 * ```
 */
export const emulatorValidateOptions = (options: EmulatorOptions): void => {
  const problem = emulatorOptionsProblem(options)
  if (problem !== undefined) throw invalidOption(problem, /^option "([^"]+)"/.exec(problem)?.[1])
}

const resolveManaged = (
  value: LifetimeRules['managedInstances'],
): Required<ManagedInstancesOptions> | null => {
  if (value === undefined || value === false) return null
  return { ...MANAGED_DEFAULTS, ...(value === true ? {} : value) }
}

/** The region and account of the emulator, defaults applied. */
export const resolveAccount = (options: Pick<EmulatorOptions, 'region' | 'accountId'>) => ({
  region: options.region ?? DEFAULT_REGION,
  accountId: options.accountId ?? DEFAULT_ACCOUNT_ID,
})

/** Applies emulator-level rules, then the function's own, then the defaults. */
export const resolveFunction = (options: EmulatorOptions, fn: FunctionConfig): ResolvedFunction => {
  const lifetime = { ...RULE_DEFAULTS, ...definedOnly(options), ...definedOnly(fn) }
  const { region, accountId } = resolveAccount(options)
  return {
    name: fn.name,
    handler: fn.handler,
    codeDir: resolve(fn.codeDir),
    env: fn.env ?? {},
    memoryMb: fn.memoryMb ?? 128,
    timeoutMs: fn.timeoutMs ?? 3_000,
    payloadFormat: fn.payloadFormat ?? '2.0',
    concurrency: lifetime.concurrency ?? null,
    idleTimeoutMs: lifetime.idleTimeoutMs,
    maxLifetimeMs: lifetime.maxLifetimeMs,
    freeze: lifetime.freeze,
    provideAwsSdk: lifetime.provideAwsSdk,
    provisioned: lifetime.provisioned,
    managedInstances: resolveManaged(lifetime.managedInstances),
    initTimeoutMs: lifetime.initTimeoutMs,
    shutdownTimeoutMs: lifetime.shutdownTimeoutMs,
    region,
    accountId,
    arn: `arn:aws:lambda:${region}:${accountId}:function:${fn.name}`,
    asyncInvoke: resolveAsyncInvoke(options.asyncInvoke, fn.asyncInvoke),
    loggingConfig: fn.loggingConfig ?? options.loggingConfig ?? null,
    privateTmp: options.privateTmp === true,
    memoryCgroups: options.memoryCgroups !== false,
    extensionsDir: extensionsDirOf(fn.extensionsDir ?? options.extensionsDir),
    tracing: fn.tracing ?? options.tracing ?? 'PassThrough',
  }
}

const extensionsDirOf = (dir: string | undefined): string | null => (dir === undefined ? null : resolve(dir))

const RULE_KEYS = Object.keys(RULE_DEFAULTS)

const definedOnly = (lifetime: LifetimeRules): LifetimeRules =>
  Object.fromEntries(
    RULE_KEYS.flatMap((key) =>
      lifetime[key as keyof LifetimeRules] === undefined ? [] : [[key, lifetime[key as keyof LifetimeRules]]],
    ),
  )

/**
 * Checks that a function's code is there before anything starts: the code directory exists, and the
 * handler's module is found the way the runtime client looks for it (`<module>`, `.js`, `.mjs`,
 * `.cjs`, then a package resolved from the code directory). Throws a TypeError naming the function.
 *
 * @example
 * ```ts
 * checkFunctionCode(resolveFunction(options, options.functions[0]))
 * ```
 */
export const checkFunctionCode = (fn: Pick<ResolvedFunction, 'name' | 'handler' | 'codeDir'>): void => {
  const where = `function "${fn.name}"`
  if (!existsSync(fn.codeDir) || !statSync(fn.codeDir).isDirectory())
    throw invalidOption(`${where}: codeDir ${fn.codeDir} is not a directory (it does not exist)`, 'codeDir')
  const moduleRoot = dirname(fn.handler)
  const moduleName = basename(fn.handler).split('.')[0] as string
  const base = resolve(fn.codeDir, moduleRoot, moduleName)
  if (['', '.js', '.mjs', '.cjs'].some((extension) => existsSync(`${base}${extension}`))) return
  const typescript = ['.ts', '.mts', '.cts'].find((extension) => existsSync(`${base}${extension}`))
  if (typescript !== undefined)
    throw invalidOption(
      `${where}: handler "${fn.handler}" needs ${join(moduleRoot, moduleName)}.js, .mjs or .cjs in ${fn.codeDir}; ${join(moduleRoot, moduleName)}${typescript} is TypeScript, which the runtime cannot load: serve a SAM template or cdk.out with --template (it bundles with esbuild), or bundle it and point codeDir at the output`,
      'handler',
    )
  try {
    createRequire(join(fn.codeDir, 'noop.js')).resolve(moduleName, {
      paths: [fn.codeDir, join(fn.codeDir, moduleRoot)],
    })
  } catch {
    throw invalidOption(
      `${where}: handler "${fn.handler}" needs ${join(moduleRoot, moduleName)}.js, .mjs or .cjs in ${fn.codeDir}; none exists`,
      'handler',
    )
  }
}

export const resolveLogDir = (logDir: string | undefined): string =>
  logDir === undefined
    ? join(process.cwd(), '.lambda-lifetime', 'logs')
    : isAbsolute(logDir)
      ? logDir
      : resolve(logDir)
