/** Defaults, validation and per-function resolution of the emulator's options. */
import { isAbsolute, join, resolve } from 'node:path'
import { invalidOption } from './errors.js'
import type { EmulatorOptions, FunctionConfig, LifetimeRules, ManagedInstancesOptions } from './types.js'

/** Everything one function needs, defaults applied. */
export interface ResolvedFunction {
  readonly name: string
  readonly handler: string
  readonly codeDir: string
  readonly env: Readonly<Record<string, string>>
  readonly memoryMb: number
  readonly timeoutMs: number
  readonly concurrency: number
  readonly idleTimeoutMs: number
  readonly maxLifetimeMs: number
  readonly freeze: boolean
  readonly provisioned: number
  readonly managedInstances: Required<ManagedInstancesOptions> | null
  readonly initTimeoutMs: number
  readonly shutdownTimeoutMs: number
  readonly region: string
  readonly accountId: string
  readonly arn: string
}

export const RULE_DEFAULTS = {
  concurrency: 10,
  idleTimeoutMs: 300_000,
  maxLifetimeMs: 7_200_000,
  freeze: true,
  provisioned: 0,
  managedInstances: false,
  initTimeoutMs: 10_000,
  shutdownTimeoutMs: 500,
} as const satisfies LifetimeRules

const MANAGED_DEFAULTS: Required<ManagedInstancesOptions> = { maxConcurrency: 8, workers: 2, environments: 1 }

const RULE_KEYS = Object.keys(RULE_DEFAULTS)
const FUNCTION_KEYS = new Set([...RULE_KEYS, 'name', 'handler', 'codeDir', 'env', 'memoryMb', 'timeoutMs'])
const EMULATOR_KEYS = new Set([
  ...RULE_KEYS,
  'functions',
  'host',
  'port',
  'httpPort',
  'httpFunction',
  'logDir',
  'region',
  'accountId',
  'onEvent',
])
const MANAGED_KEYS = new Set(Object.keys(MANAGED_DEFAULTS))
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/
const HANDLER = /^[^\s]+\.[A-Za-z_$][\w$]*$/

const rejectUnknown = (where: string, value: object, known: ReadonlySet<string>): void => {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw invalidOption(`unknown option "${where}${key}"`)
  }
}

const checkInteger = (name: string, value: unknown, min: number): void => {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min)) {
    throw invalidOption(`option "${name}" must be an integer >= ${min}, got ${String(value)}`)
  }
}

const checkBoolean = (name: string, value: unknown): void => {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidOption(`option "${name}" must be a boolean, got ${typeof value}`)
  }
}

const checkManaged = (where: string, value: unknown): void => {
  if (value === undefined || typeof value === 'boolean') return
  if (typeof value !== 'object' || value === null) {
    throw invalidOption(`option "${where}managedInstances" must be a boolean or an object`)
  }
  rejectUnknown(`${where}managedInstances.`, value, MANAGED_KEYS)
  const managed = value as ManagedInstancesOptions
  checkInteger(`${where}managedInstances.maxConcurrency`, managed.maxConcurrency, 1)
  checkInteger(`${where}managedInstances.workers`, managed.workers, 1)
  checkInteger(`${where}managedInstances.environments`, managed.environments, 1)
}

const checkRules = (where: string, rules: LifetimeRules): void => {
  checkInteger(`${where}concurrency`, rules.concurrency, 1)
  checkInteger(`${where}idleTimeoutMs`, rules.idleTimeoutMs, 1)
  checkInteger(`${where}maxLifetimeMs`, rules.maxLifetimeMs, 1)
  checkInteger(`${where}provisioned`, rules.provisioned, 0)
  checkInteger(`${where}initTimeoutMs`, rules.initTimeoutMs, 1)
  checkInteger(`${where}shutdownTimeoutMs`, rules.shutdownTimeoutMs, 0)
  checkBoolean(`${where}freeze`, rules.freeze)
  checkManaged(where, rules.managedInstances)
}

const checkFunction = (fn: FunctionConfig, index: number): void => {
  const where = `functions[${index}].`
  if (typeof fn !== 'object' || fn === null)
    throw invalidOption(`option "functions[${index}]" must be an object`)
  rejectUnknown(where, fn, FUNCTION_KEYS)
  if (typeof fn.name !== 'string' || !FUNCTION_NAME.test(fn.name)) {
    throw invalidOption(`option "${where}name" must match ${FUNCTION_NAME}, got ${String(fn.name)}`)
  }
  if (typeof fn.handler !== 'string' || !HANDLER.test(fn.handler)) {
    throw invalidOption(`option "${where}handler" must look like "index.handler", got ${String(fn.handler)}`)
  }
  if (typeof fn.codeDir !== 'string' || fn.codeDir.length === 0) {
    throw invalidOption(`option "${where}codeDir" must be a directory path`)
  }
  const env = fn.env ?? {}
  if (typeof env !== 'object' || Object.values(env).some((value) => typeof value !== 'string')) {
    throw invalidOption(`option "${where}env" must map names to strings`)
  }
  checkInteger(`${where}memoryMb`, fn.memoryMb, 128)
  checkInteger(`${where}timeoutMs`, fn.timeoutMs, 1)
  checkRules(where, fn)
}

/**
 * Throws a `TypeError` naming the first bad option; unknown options are rejected too.
 *
 * @example
 * ```ts
 * emulatorValidateOptions({ functions: [{ name: 'hello', handler: 'index.handler', codeDir: './dist' }] })
 * ```
 */
export const emulatorValidateOptions = (options: EmulatorOptions): void => {
  if (typeof options !== 'object' || options === null) throw invalidOption('options must be an object')
  rejectUnknown('', options, EMULATOR_KEYS)
  if (!Array.isArray(options.functions) || options.functions.length === 0) {
    throw invalidOption('option "functions" must be a non-empty array')
  }
  options.functions.forEach(checkFunction)
  const names = options.functions.map((fn) => fn.name)
  const duplicate = names.find((name, index) => names.indexOf(name) !== index)
  if (duplicate !== undefined) throw invalidOption(`option "functions" names "${duplicate}" twice`)
  checkRules('', options)
  checkInteger('port', options.port, 0)
  if (options.httpPort !== false) checkInteger('httpPort', options.httpPort, 0)
  if (options.httpFunction !== undefined && !names.includes(options.httpFunction)) {
    throw invalidOption(`option "httpFunction" names no function: ${String(options.httpFunction)}`)
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw invalidOption('option "onEvent" must be a function')
  }
}

const resolveManaged = (
  value: LifetimeRules['managedInstances'],
): Required<ManagedInstancesOptions> | null => {
  if (value === undefined || value === false) return null
  return { ...MANAGED_DEFAULTS, ...(value === true ? {} : value) }
}

/** Applies emulator-level rules, then the function's own, then the defaults. */
export const resolveFunction = (options: EmulatorOptions, fn: FunctionConfig): ResolvedFunction => {
  const rules = { ...RULE_DEFAULTS, ...definedOnly(options), ...definedOnly(fn) }
  const region = options.region ?? 'us-east-1'
  const accountId = options.accountId ?? '000000000000'
  return {
    name: fn.name,
    handler: fn.handler,
    codeDir: resolve(fn.codeDir),
    env: fn.env ?? {},
    memoryMb: fn.memoryMb ?? 128,
    timeoutMs: fn.timeoutMs ?? 3_000,
    concurrency: rules.concurrency,
    idleTimeoutMs: rules.idleTimeoutMs,
    maxLifetimeMs: rules.maxLifetimeMs,
    freeze: rules.freeze,
    provisioned: rules.provisioned,
    managedInstances: resolveManaged(rules.managedInstances),
    initTimeoutMs: rules.initTimeoutMs,
    shutdownTimeoutMs: rules.shutdownTimeoutMs,
    region,
    accountId,
    arn: `arn:aws:lambda:${region}:${accountId}:function:${fn.name}`,
  }
}

const definedOnly = (rules: LifetimeRules): LifetimeRules =>
  Object.fromEntries(
    RULE_KEYS.flatMap((key) =>
      rules[key as keyof LifetimeRules] === undefined ? [] : [[key, rules[key as keyof LifetimeRules]]],
    ),
  )

export const resolveLogDir = (logDir: string | undefined): string =>
  logDir === undefined
    ? join(process.cwd(), '.lambda-lifetime', 'logs')
    : isAbsolute(logDir)
      ? logDir
      : resolve(logDir)
