/**
 * CDK app of the orders-api example. Synthesizes offline from `examples/orders-api`, after
 * `npm run build` at the root (the bundler reads the compiled `@lambda-lifetime/*` packages):
 *
 * ```sh
 * npx cdk synth --app 'npx tsx infra/app.ts' -c databaseUrl=postgres://… -c paymentsUrl=https://…
 * ```
 *
 * Without the two context values it uses placeholders, so that `synth` works as a check.
 */
import { App } from 'aws-cdk-lib'
import { OrdersApiStack } from './stack.js'

const app = new App()
const context = (key: string, placeholder: string): string => {
  const value: unknown = app.node.tryGetContext(key)
  return typeof value === 'string' && value !== '' ? value : placeholder
}

new OrdersApiStack(app, 'LambdaLifetimeOrdersApi', {
  description:
    'lambda-lifetime example: orders HTTP API with a warm pg pool and a fleet-wide circuit breaker',
  databaseUrl: context('databaseUrl', 'postgres://orders:change-me@db.example.internal:5432/orders'),
  paymentsUrl: context('paymentsUrl', 'https://payments.example.internal'),
})
app.synth()
