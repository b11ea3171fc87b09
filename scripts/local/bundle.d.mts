export interface BundledExample {
  /** Directory holding `index.mjs`: the function's `LAMBDA_TASK_ROOT`. */
  readonly taskRoot: string
  /** `_HANDLER`: `index.handler`. */
  readonly handler: string
}

export function bundleExample(name: 'hello' | 'orders-api'): Promise<BundledExample>
