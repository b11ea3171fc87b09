export { containerTracing } from './middleware.js'
export { containerTracingValidateOptions } from './options.js'
export type { ContainerAnnotations, ContainerTracingOptions, ContainerTracingTarget } from './types.js'
