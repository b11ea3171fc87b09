/**
 * SAM's `AWS::Serverless::Function`: `Globals.Function` merged in as SAM merges it, the function's
 * settings, and the routes of its `HttpApi`/`Api` events and `FunctionUrlConfig`.
 *
 * Wiring: internal to the loaders; `cloudformation.ts` calls `readSamFunction` for each such resource.
 */
import { isAbsolute, resolve } from 'node:path'
import { isRecord } from '@lambda-lifetime/commons'
import { intrinsicName } from './intrinsics.js'
import { type HttpRoute, type ProjectFunction, TemplateError } from './model.js'
import {
  functionUrlRoute,
  normalizeMethod,
  type Resource,
  secondsToMs,
  type TemplateReader,
} from './reader.js'

/** SAM's Globals rule: maps merge (the function wins), lists append, plain values are replaced. */
const mergeGlobals = (globals: unknown, local: unknown): unknown => {
  if (Array.isArray(globals) && Array.isArray(local)) return [...globals, ...local]
  if (isRecord(globals) && isRecord(local) && intrinsicName(local) === undefined) {
    const merged: Record<string, unknown> = { ...globals }
    for (const [key, value] of Object.entries(local)) merged[key] = mergeGlobals(globals[key], value)
    return merged
  }
  return local
}

const IMPLICIT_HTTP_API = 'ServerlessHttpApi'
const IMPLICIT_REST_API = 'ServerlessRestApi'

/**
 * One `AWS::Serverless::Function` with `Globals.Function` merged in: the function (none for container
 * images and inline code, with a warning) and the routes of its events and Function URL.
 *
 * @example
 * ```ts
 * const { fn, routes } = readSamFunction(reader, 'Orders', reader.resources.Orders, templateDir)
 * ```
 */
export const readSamFunction = (
  reader: TemplateReader,
  logicalId: string,
  resource: Resource,
  baseDir: string,
): { fn?: ProjectFunction; routes: HttpRoute[] } => {
  const path = `Resources.${logicalId}.Properties`
  const properties = mergeGlobals(reader.globals, resource.Properties) as Record<string, unknown>
  const name = reader.scope.resourceNames[logicalId] as string
  if (properties.PackageType === 'Image' || properties.InlineCode !== undefined) {
    reader.warnings.push(`${logicalId}: container image and inline code functions are not run locally`)
    return { routes: [] }
  }
  const codeUri = properties.CodeUri === undefined ? '.' : reader.resolve(properties.CodeUri)
  if (typeof codeUri !== 'string') {
    throw new TemplateError(reader.file, `${path}.CodeUri`, 'must be a local folder to run locally')
  }
  const buildProperties = isRecord(resource.Metadata.BuildProperties) ? resource.Metadata.BuildProperties : {}
  const [entryPoint] = Array.isArray(buildProperties.EntryPoints) ? buildProperties.EntryPoints : []
  const provisioned = isRecord(properties.ProvisionedConcurrencyConfig)
    ? reader.optionalInteger(
        properties.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions,
        `${path}.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`,
      )
    : undefined
  const reservedConcurrency = reader.optionalInteger(
    properties.ReservedConcurrentExecutions,
    `${path}.ReservedConcurrentExecutions`,
  )
  const fn: ProjectFunction = {
    name,
    logicalId,
    stack: reader.scope.pseudo.stackName,
    handler: reader.string(properties.Handler, `${path}.Handler`),
    codeDir: isAbsolute(codeUri) ? codeUri : resolve(baseDir, codeUri),
    runtime: reader.optionalString(properties.Runtime, `${path}.Runtime`) ?? 'nodejs24.x',
    memoryMb: reader.optionalInteger(properties.MemorySize, `${path}.MemorySize`) ?? 128,
    timeoutMs: secondsToMs(reader.optionalInteger(properties.Timeout, `${path}.Timeout`), 3),
    env: reader.environment(properties.Environment, `${path}.Environment`),
    architecture: reader.architecture(properties.Architectures, `${path}.Architectures`),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    ...(provisioned === undefined ? {} : { provisioned }),
    ...(typeof entryPoint === 'string' ? { entryPoint } : {}),
  }
  return { fn, routes: samEventRoutes(reader, logicalId, properties, name) }
}

const samEventRoutes = (
  reader: TemplateReader,
  logicalId: string,
  properties: Record<string, unknown>,
  functionName: string,
): HttpRoute[] => {
  const routes: HttpRoute[] = []
  const events = isRecord(properties.Events) ? properties.Events : {}
  for (const [eventId, event] of Object.entries(events)) {
    const path = `Resources.${logicalId}.Properties.Events.${eventId}`
    if (!isRecord(event) || (event.Type !== 'HttpApi' && event.Type !== 'Api')) continue
    const eventProperties = isRecord(event.Properties) ? event.Properties : {}
    const rawPath = reader.optionalString(eventProperties.Path, `${path}.Properties.Path`)
    const rawMethod = reader.optionalString(eventProperties.Method, `${path}.Properties.Method`)
    if (event.Type === 'HttpApi') {
      const api = reader.apiReferencedBy(eventProperties.ApiId) ?? IMPLICIT_HTTP_API
      const isDefault = rawPath === undefined && rawMethod === undefined
      routes.push({
        api,
        kind: 'http-api',
        payloadFormat: eventProperties.PayloadFormatVersion === '1.0' ? '1.0' : '2.0',
        method: isDefault ? 'ANY' : normalizeMethod(rawMethod ?? 'ANY'),
        path: isDefault ? '$default' : (rawPath ?? '/'),
        functionName,
      })
    } else {
      if (rawPath === undefined || rawMethod === undefined) {
        throw new TemplateError(reader.file, `${path}.Properties`, 'must have Path and Method (an Api event)')
      }
      const api = reader.apiReferencedBy(eventProperties.RestApiId) ?? IMPLICIT_REST_API
      routes.push({
        api,
        kind: 'rest-api',
        payloadFormat: '1.0',
        method: normalizeMethod(rawMethod),
        path: rawPath,
        functionName,
      })
    }
  }
  if (properties.FunctionUrlConfig !== undefined)
    routes.push(functionUrlRoute(`${logicalId}Url`, functionName))
  return routes
}
