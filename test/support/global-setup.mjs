import { setup } from './tmp-run.mjs'

export default setup
