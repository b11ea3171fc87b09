/**
 * Runs at `npm install` (the root's `preinstall`, which npm runs once the dependencies are in place) and
 * says in one line what the warnings above it mean when npm itself runs on a Node older than 22: the
 * packages here declare Node 22 or newer, so npm prints an EBADENGINE warning for each of more than 150
 * of them, but every npm script of this repository runs on the Node 24 that the install just put in
 * node_modules/.bin. Silent on Node 22 or newer. Never fails the install: written for any Node npm runs on.
 */
const MINIMUM_MAJOR = 22

// npm's user agent names the Node that runs npm ("npm/11.6.0 node/v20.19.0 linux x64 …"); inside this
// script `node` may already be the pinned Node 24 from node_modules/.bin.
const agent = process.env.npm_config_user_agent || ''
const match = /node\/v(\d+)\.\d+\.\d+/.exec(agent)
const major = match ? Number(match[1]) : Number(process.versions.node.split('.')[0])

if (major < MINIMUM_MAJOR) {
  console.log(
    `lambda-lifetime: npm runs on Node ${match ? `v${match[0].slice(6)}` : process.version}, older than the Node ${MINIMUM_MAJOR} the packages declare: the EBADENGINE warnings above are expected and harmless here, because every npm script (start, test, demo, bench) runs on the Node 24 installed in node_modules/.bin. Install Node ${MINIMUM_MAJOR}+ to make them go away.`,
  )
}
