import { teardown } from './tmp-run.mjs'

export default teardown
