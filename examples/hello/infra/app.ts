/**
 * CDK app of the hello example. Synthesizes offline:
 * `npx cdk synth --app 'npx tsx infra/app.ts'` from `examples/hello` (after `npm run build` at the root,
 * so that the bundler finds the compiled `@lambda-lifetime/*` packages).
 */
import { App } from 'aws-cdk-lib'
import { HelloStack } from './stack.js'

const app = new App()
new HelloStack(app, 'LambdaLifetimeHello', {
  description: 'lambda-lifetime example: the article handler on Node 24 behind an HTTP API',
})
app.synth()
