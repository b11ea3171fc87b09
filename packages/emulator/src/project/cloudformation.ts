/**
 * The resources of one template, SAM or plain CloudFormation (what CDK synthesizes): functions with local
 * code, Function URLs, provisioned concurrency on aliases, HTTP API (`AWS::ApiGatewayV2::*`) and REST API
 * (`AWS::ApiGateway::*`) routes to Lambda integrations.
 *
 * Wiring: internal to `template.ts`, which calls `readResources` once per template.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { isRecord } from '@lambda-lifetime/commons'
import { referencedLogicalIds } from './intrinsics.js'
import type { HttpRoute, ProjectFunction } from './model.js'
import {
  functionUrlRoute,
  normalizeMethod,
  type Resource,
  secondsToMs,
  type TemplateReader,
} from './reader.js'
import { readSamFunction } from './sam.js'

const readLambdaFunction = (
  reader: TemplateReader,
  logicalId: string,
  resource: Resource,
  assemblyDir: string,
): ProjectFunction | undefined => {
  const path = `Resources.${logicalId}.Properties`
  const properties = resource.Properties
  const assetPath = resource.Metadata['aws:asset:path']
  if (typeof assetPath !== 'string' || resource.Metadata['aws:asset:property'] !== 'Code') {
    reader.warnings.push(`${logicalId}: no local code (no aws:asset:path metadata), not run`)
    return undefined
  }
  const codeDir = resolve(assemblyDir, assetPath)
  if (!existsSync(codeDir)) {
    reader.warnings.push(`${logicalId}: asset folder ${codeDir} is missing (run cdk synth again)`)
    return undefined
  }
  const reservedConcurrency = reader.optionalInteger(
    properties.ReservedConcurrentExecutions,
    `${path}.ReservedConcurrentExecutions`,
  )
  const cdkPath = resource.Metadata['aws:cdk:path']
  return {
    name: reader.scope.resourceNames[logicalId] as string,
    logicalId,
    stack: reader.scope.pseudo.stackName,
    ...(typeof cdkPath === 'string' ? { constructPath: cdkPath.replace(/\/Resource$/, '') } : {}),
    handler: reader.string(properties.Handler, `${path}.Handler`),
    codeDir,
    runtime: reader.optionalString(properties.Runtime, `${path}.Runtime`) ?? 'nodejs24.x',
    memoryMb: reader.optionalInteger(properties.MemorySize, `${path}.MemorySize`) ?? 128,
    timeoutMs: secondsToMs(reader.optionalInteger(properties.Timeout, `${path}.Timeout`), 3),
    env: reader.environment(properties.Environment, `${path}.Environment`),
    architecture: reader.architecture(properties.Architectures, `${path}.Architectures`),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
  }
}

/** Routes of `AWS::ApiGatewayV2::Route`s: `RouteKey` + `Target: integrations/<id>` → the integration's function. */
const httpApiRoutes = (reader: TemplateReader, active: Array<[string, Resource]>): HttpRoute[] => {
  const routes: HttpRoute[] = []
  for (const [logicalId, resource] of active) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue
    const path = `Resources.${logicalId}.Properties`
    const routeKey = reader.string(resource.Properties.RouteKey, `${path}.RouteKey`)
    const target = resource.Properties.Target
    // `integrations/${Ref}` as CDK writes it, or a literal `integrations/<id>`.
    const integrationId =
      referencedLogicalIds(target)[0] ??
      (typeof target === 'string' ? target.replace(/^integrations\//, '') : undefined)
    const integration = integrationId === undefined ? undefined : reader.resources[integrationId]
    const functionName = integration && reader.functionReferencedBy(integration.Properties.IntegrationUri)
    if (functionName === undefined || integration === undefined) {
      reader.warnings.push(`${logicalId}: route ${routeKey} has no Lambda integration, not served`)
      continue
    }
    const api = referencedLogicalIds(resource.Properties.ApiId)[0] ?? 'HttpApi'
    const apiResource = reader.resources[api]
    if (apiResource !== undefined && apiResource.Properties.ProtocolType === 'WEBSOCKET') continue
    const [method, routePath] = routeKey === '$default' ? ['ANY', '$default'] : routeKey.split(/\s+/, 2)
    routes.push({
      api,
      kind: 'http-api',
      payloadFormat: integration.Properties.PayloadFormatVersion === '1.0' ? '1.0' : '2.0',
      method: normalizeMethod(method ?? 'ANY'),
      path: routePath ?? '/',
      functionName,
    })
  }
  return routes
}

/** REST API routes: `AWS::ApiGateway::Method` on a resource tree built from `ParentId` + `PathPart`. */
const restApiRoutes = (reader: TemplateReader, active: Array<[string, Resource]>): HttpRoute[] => {
  const pathOf = (resourceId: string | undefined, depth = 0): string => {
    const resource = resourceId === undefined ? undefined : reader.resources[resourceId]
    if (resource?.Type !== 'AWS::ApiGateway::Resource' || depth > 64) return ''
    const parent = referencedLogicalIds(resource.Properties.ParentId)[0]
    return `${pathOf(parent, depth + 1)}/${String(reader.resolve(resource.Properties.PathPart))}`
  }
  const routes: HttpRoute[] = []
  for (const [logicalId, resource] of active) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue
    const integration = resource.Properties.Integration
    const functionName = isRecord(integration) ? reader.functionReferencedBy(integration.Uri) : undefined
    if (functionName === undefined) continue
    const path = `Resources.${logicalId}.Properties`
    const api = referencedLogicalIds(resource.Properties.RestApiId)[0] ?? 'RestApi'
    routes.push({
      api,
      kind: 'rest-api',
      payloadFormat: '1.0',
      method: normalizeMethod(reader.string(resource.Properties.HttpMethod, `${path}.HttpMethod`)),
      path: pathOf(referencedLogicalIds(resource.Properties.ResourceId)[0]) || '/',
      functionName,
    })
  }
  return routes
}

/** Function URLs (`AWS::Lambda::Url`) and provisioned concurrency on aliases (`AWS::Lambda::Alias`). */
const urlRoutesAndAliases = (
  reader: TemplateReader,
  active: Array<[string, Resource]>,
  functions: ProjectFunction[],
): { routes: HttpRoute[]; functions: ProjectFunction[] } => {
  const routes: HttpRoute[] = []
  let updated = functions
  for (const [logicalId, resource] of active) {
    if (resource.Type === 'AWS::Lambda::Url') {
      const functionName = reader.functionReferencedBy(resource.Properties.TargetFunctionArn)
      if (functionName !== undefined) routes.push(functionUrlRoute(logicalId, functionName))
    }
    if (resource.Type === 'AWS::Lambda::Alias') {
      const config = resource.Properties.ProvisionedConcurrencyConfig
      const functionName = reader.functionReferencedBy(resource.Properties.FunctionName)
      if (!isRecord(config) || functionName === undefined) continue
      const provisioned = reader.optionalInteger(
        config.ProvisionedConcurrentExecutions,
        `Resources.${logicalId}.Properties.ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions`,
      )
      updated = updated.map((fn) => (fn.name === functionName && provisioned ? { ...fn, provisioned } : fn))
    }
  }
  return { routes, functions: updated }
}

/**
 * Every function and route of one template (resources whose `Condition` is false left out); routes to a
 * function that is not run locally are dropped.
 *
 * @example
 * ```ts
 * const { functions, routes } = readResources(new TemplateReader(file, template, 'shop', {}), dirname(file))
 * ```
 */
export const readResources = (
  reader: TemplateReader,
  baseDir: string,
): { functions: ProjectFunction[]; routes: HttpRoute[] } => {
  const active = reader.active()
  let functions: ProjectFunction[] = []
  const routes: HttpRoute[] = []
  for (const [logicalId, resource] of active) {
    reader.countSkipped(resource.Type)
    if (resource.Type === 'AWS::Serverless::Function') {
      const sam = readSamFunction(reader, logicalId, resource, baseDir)
      if (sam.fn !== undefined) functions.push(sam.fn)
      routes.push(...sam.routes)
    } else if (resource.Type === 'AWS::Lambda::Function') {
      const fn = readLambdaFunction(reader, logicalId, resource, baseDir)
      if (fn !== undefined) functions.push(fn)
    }
  }
  const extra = urlRoutesAndAliases(reader, active, functions)
  functions = extra.functions
  routes.push(...httpApiRoutes(reader, active), ...restApiRoutes(reader, active), ...extra.routes)
  const served = new Set(functions.map((fn) => fn.name))
  return { functions, routes: routes.filter((route) => served.has(route.functionName)) }
}
