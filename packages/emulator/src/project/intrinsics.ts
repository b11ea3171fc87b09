/**
 * CloudFormation intrinsic functions resolved to local values: what a template means on this machine,
 * not in an account. `Ref` of a parameter is its value (or `Default`), `Ref` of a resource its local
 * name, `Fn::GetAtt X.Arn` a local ARN built from the region and account the emulator uses, and
 * `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` (conditions evaluated), `Fn::Base64`,
 * `Fn::FindInMap`, `Fn::GetAZs` compute. What has no local meaning (`Fn::ImportValue`, `Fn::Cidr`, …)
 * becomes a readable placeholder string, never an error: a template that deploys must load.
 *
 * Wiring: internal to `template.ts`; the pseudo parameters come from the emulator's `region`/`accountId`.
 */
import { isRecord } from '@lambda-lifetime/commons'

/** Values of `AWS::Region`, `AWS::AccountId`, `AWS::StackName`, `AWS::Partition`, `AWS::URLSuffix`. */
export interface PseudoParameters {
  readonly region: string
  readonly accountId: string
  readonly stackName: string
  readonly partition: string
}

/** What an intrinsic can refer to in one template. */
export interface ResolveScope {
  readonly pseudo: PseudoParameters
  /** Parameter name → value (override, else `Default`). */
  readonly parameters: Readonly<Record<string, unknown>>
  /** Logical id → resource type, for `Ref` and `Fn::GetAtt`. */
  readonly resourceTypes: Readonly<Record<string, string>>
  /** Logical id → the local name `Ref` gives (a function's name, else the logical id). */
  readonly resourceNames: Readonly<Record<string, string>>
  readonly conditions: Readonly<Record<string, unknown>>
  readonly mappings: Readonly<Record<string, unknown>>
}

/** Marks `Ref: AWS::NoValue`: the property or list item is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue')

const INTRINSIC_KEYS = new Set([
  'Ref',
  'Condition',
  'Fn::Sub',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::If',
  'Fn::Select',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::Split',
  'Fn::Base64',
  'Fn::Equals',
  'Fn::FindInMap',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Fn::Cidr',
  'Fn::Length',
  'Fn::ToJsonString',
])

/** The one key of an intrinsic call (`{ 'Fn::Join': [...] }`), or undefined for a plain object. */
export const intrinsicName = (value: unknown): string | undefined => {
  if (!isRecord(value)) return undefined
  const keys = Object.keys(value)
  return keys.length === 1 && INTRINSIC_KEYS.has(keys[0] as string) ? keys[0] : undefined
}

/** `arn:aws:<service>:<region>:<account>:<resource>` for the resource types a handler is likely to use. */
const localArn = (scope: ResolveScope, logicalId: string): string => {
  const { partition, region, accountId } = scope.pseudo
  const name = scope.resourceNames[logicalId] ?? logicalId
  const type = scope.resourceTypes[logicalId] ?? ''
  const arn = (service: string, resource: string): string =>
    `arn:${partition}:${service}:${region}:${accountId}:${resource}`
  switch (type) {
    case 'AWS::Lambda::Function':
    case 'AWS::Serverless::Function':
      return arn('lambda', `function:${name}`)
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
    case 'AWS::Serverless::SimpleTable':
      return arn('dynamodb', `table/${name}`)
    case 'AWS::SQS::Queue':
      return arn('sqs', name)
    case 'AWS::SNS::Topic':
      return arn('sns', name)
    case 'AWS::S3::Bucket':
      return `arn:${partition}:s3:::${name}`
    case 'AWS::IAM::Role':
      return `arn:${partition}:iam::${accountId}:role/${name}`
    default: {
      const service = type.split('::')[1]?.toLowerCase() ?? 'local'
      return arn(service, name)
    }
  }
}

const getAtt = (scope: ResolveScope, logicalId: string, attribute: string): string => {
  if (attribute === 'Arn') return localArn(scope, logicalId)
  const name = scope.resourceNames[logicalId] ?? logicalId
  if (attribute === 'RootResourceId') return `${name}-root`
  if (attribute === 'ApiEndpoint') return `http://localhost/${name}`
  return `${name}.${attribute}`
}

const ref = (scope: ResolveScope, name: string): unknown => {
  switch (name) {
    case 'AWS::Region':
      return scope.pseudo.region
    case 'AWS::AccountId':
      return scope.pseudo.accountId
    case 'AWS::StackName':
      return scope.pseudo.stackName
    case 'AWS::StackId':
      return `arn:${scope.pseudo.partition}:cloudformation:${scope.pseudo.region}:${scope.pseudo.accountId}:stack/${scope.pseudo.stackName}/local`
    case 'AWS::Partition':
      return scope.pseudo.partition
    case 'AWS::URLSuffix':
      return 'amazonaws.com'
    case 'AWS::NoValue':
      return NO_VALUE
    case 'AWS::NotificationARNs':
      return []
  }
  if (name in scope.parameters) return scope.parameters[name]
  return scope.resourceNames[name] ?? name
}

/** `${Name}`, `${Res.Attr}`, `${AWS::Region}`; `${!Literal}` stays `${Literal}`. */
const substitute = (scope: ResolveScope, text: string, variables: Record<string, unknown>): string =>
  text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`
    const name = inner.trim()
    if (name in variables) return stringOf(variables[name])
    const dot = name.indexOf('.')
    if (dot > 0 && !name.includes('::')) return getAtt(scope, name.slice(0, dot), name.slice(dot + 1))
    const value = ref(scope, name)
    return value === name && !(name in scope.resourceTypes) ? whole : stringOf(value)
  })

const stringOf = (value: unknown): string => {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map(stringOf).join(',')
  return JSON.stringify(value) ?? ''
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value])

/**
 * Evaluates a condition (a name from `Conditions`, or an `Fn::Equals`/`Fn::Not`/`Fn::And`/`Fn::Or`
 * expression). A condition that cannot be decided locally counts as false.
 *
 * @example
 * ```ts
 * evaluateCondition(scope, { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] }) // false when Stage is 'dev'
 * ```
 */
export const evaluateCondition = (
  scope: ResolveScope,
  condition: unknown,
  seen = new Set<string>(),
): boolean => {
  if (typeof condition === 'boolean') return condition
  if (typeof condition === 'string') {
    if (seen.has(condition) || !(condition in scope.conditions)) return false
    return evaluateCondition(scope, scope.conditions[condition], new Set([...seen, condition]))
  }
  const name = intrinsicName(condition)
  const argument = name === undefined ? undefined : (condition as Record<string, unknown>)[name]
  switch (name) {
    case 'Condition':
      return evaluateCondition(scope, argument, seen)
    case 'Fn::Equals': {
      const [left, right] = asList(argument).map((item) => stringOf(resolveIntrinsics(scope, item)))
      return left === right
    }
    case 'Fn::Not':
      return !evaluateCondition(scope, asList(argument)[0], seen)
    case 'Fn::And':
      return asList(argument).every((item) => evaluateCondition(scope, item, seen))
    case 'Fn::Or':
      return asList(argument).some((item) => evaluateCondition(scope, item, seen))
    default:
      return false
  }
}

const callIntrinsic = (scope: ResolveScope, name: string, argument: unknown): unknown => {
  const resolve = (value: unknown): unknown => resolveIntrinsics(scope, value)
  switch (name) {
    case 'Ref':
      return ref(scope, stringOf(argument))
    case 'Fn::GetAtt': {
      const [logicalId, ...attribute] =
        typeof argument === 'string' ? argument.split('.') : asList(resolve(argument)).map(stringOf)
      return getAtt(scope, logicalId ?? '', attribute.join('.'))
    }
    case 'Fn::Sub': {
      const [text, variables] = asList(argument)
      const resolvedVariables = resolve(variables ?? {})
      return substitute(scope, stringOf(text), isRecord(resolvedVariables) ? resolvedVariables : {})
    }
    case 'Fn::Join': {
      const [separator, items] = asList(argument)
      return asList(resolve(items))
        .map(stringOf)
        .join(stringOf(separator ?? ''))
    }
    case 'Fn::Select': {
      const [index, items] = asList(argument)
      return asList(resolve(items))[Number(resolve(index))]
    }
    case 'Fn::Split': {
      const [separator, text] = asList(argument)
      return stringOf(resolve(text)).split(stringOf(separator))
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = asList(argument)
      return resolve(evaluateCondition(scope, condition) ? whenTrue : whenFalse)
    }
    case 'Fn::Base64':
      return Buffer.from(stringOf(resolve(argument))).toString('base64')
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((zone) => `${scope.pseudo.region}${zone}`)
    case 'Fn::FindInMap': {
      const [map, key, attribute] = asList(resolve(argument)).map(stringOf)
      const found = (scope.mappings as Record<string, Record<string, Record<string, unknown>>>)[map ?? '']?.[
        key ?? ''
      ]?.[attribute ?? '']
      // Mapping values are literals in CloudFormation: not resolved again (a self-reference would never end).
      return found === undefined ? `${map}.${key}.${attribute}` : found
    }
    case 'Fn::Length':
      return asList(resolve(argument)).length
    case 'Fn::ToJsonString':
      return JSON.stringify(resolve(argument))
    case 'Fn::Equals':
    case 'Fn::Not':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Condition':
      return evaluateCondition(scope, { [name]: argument })
    default:
      // Fn::ImportValue, Fn::Cidr: values from other stacks or the network, not known locally.
      return `${name}(${stringOf(resolve(argument))})`
  }
}

/**
 * Resolves every intrinsic in a value, depth first. `Ref: AWS::NoValue` removes the property or item.
 *
 * @example
 * ```ts
 * resolveIntrinsics(scope, { 'Fn::Sub': 'orders-${AWS::Region}' }) // 'orders-us-east-1'
 * ```
 */
export const resolveIntrinsics = (scope: ResolveScope, value: unknown): unknown => {
  if (Array.isArray(value)) {
    return value.map((item) => resolveIntrinsics(scope, item)).filter((item) => item !== NO_VALUE)
  }
  if (!isRecord(value)) return value
  const name = intrinsicName(value)
  if (name !== undefined) return callIntrinsic(scope, name, value[name])
  const resolved: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const result = resolveIntrinsics(scope, item)
    if (result !== NO_VALUE) resolved[key] = result
  }
  return resolved
}

/**
 * The logical ids an unresolved value refers to (`Ref`, `Fn::GetAtt`, `${X}`/`${X.Attr}` in `Fn::Sub`),
 * in order: how an integration finds the function behind `arn:…:apigateway:…/functions/${Fn.Arn}/invocations`.
 *
 * @example
 * ```ts
 * referencedLogicalIds({ 'Fn::GetAtt': ['Orders', 'Arn'] }) // ['Orders']
 * ```
 */
export const referencedLogicalIds = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.flatMap(referencedLogicalIds)
  if (!isRecord(value)) return []
  const name = intrinsicName(value)
  const argument = name === undefined ? undefined : value[name]
  if (name === 'Ref' && typeof argument === 'string') return [argument]
  if (name === 'Fn::GetAtt') {
    const first = typeof argument === 'string' ? argument.split('.')[0] : asList(argument)[0]
    return typeof first === 'string' ? [first] : []
  }
  if (name === 'Fn::Sub') {
    const [text, variables] = asList(argument)
    const inText = [...stringOf(text).matchAll(/\$\{([^!}][^}.]*)[^}]*\}/g)].map(
      (match) => match[1] as string,
    )
    return [...inText, ...referencedLogicalIds(variables)]
  }
  return Object.values(value).flatMap(referencedLogicalIds)
}
