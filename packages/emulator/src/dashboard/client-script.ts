/**
 * The dashboard's script (plain browser JavaScript, an ES module): keeps the rows and moments the
 * server streams, redraws the tables in place (so that keyboard focus stays where it is) and the lanes
 * every second, and sends the page's actions with its token.
 */
export const CLIENT_SCRIPT = `
const BASE = '/_lambda-lifetime/dashboard'
const TOKEN = document.querySelector('meta[name="lambda-lifetime-token"]').content
const MAX_MOMENTS = 10000
const MAX_LATEST = 30
const ANNOUNCED = { 'cold-start': 1, 'init-failed': 1, restart: 1, shutdown: 1, throttle: 1 }

const state = { offset: 0, windowMs: 300000, keptMs: 900000, functions: [], rows: new Map(), history: [], scheduled: false }

const byId = (id) => document.getElementById(id)
const serverNow = () => Date.now() + state.offset

const el = (tag, attributes, children) => {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === 'text') node.textContent = value
    else node.setAttribute(name, value)
  }
  for (const child of children || []) node.append(child)
  return node
}

const SVG = 'http://www.w3.org/2000/svg'
const svg = (tag, attributes, text) => {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

const duration = (ms) => {
  if (ms === null || ms === undefined) return '–'
  if (ms < 1000) return Math.round(ms) + ' ms'
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s'
  if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.floor((ms % 60000) / 1000) + ' s'
  return Math.floor(ms / 3600000) + ' h ' + Math.floor((ms % 3600000) / 60000) + ' min'
}
const clock = (at) => new Date(at).toLocaleTimeString([], { hour12: false })

const WORDS = {
  'cold-start': 'cold start',
  ready: 'ready',
  'init-failed': 'init failed',
  restart: 'restart',
  shutdown: 'shut down',
  stopped: 'gone',
  throttle: 'throttled (429): every environment busy',
}
const describe = (moment) => {
  const row = moment.environmentId ? state.rows.get(moment.environmentId) : null
  const who = moment.functionName + (row ? ' env ' + row.shortId : '')
  let what = WORDS[moment.kind] || moment.kind
  if (moment.kind === 'shutdown') {
    const [reason, signal] = (moment.detail || '').split(' ')
    const why = { idle: 'reaped (idle)', 'max-lifetime': 'retired (max lifetime)', stop: 'stopped', 'init-failed': 'init failed' }
    what = (why[reason] || 'shut down') + (signal === 'SIGTERM' ? ', SIGTERM' : ', SIGKILL')
  } else if (moment.detail && moment.kind !== 'throttle') what += ' (' + moment.detail + ')'
  return who + ': ' + what
}

// The stream: a snapshot on connect, then one update per emulator event.
const remember = (moment) => {
  state.history.push(moment)
  if (state.history.length > MAX_MOMENTS + 500) state.history = state.history.slice(-MAX_MOMENTS)
}

const announce = (moment) => {
  if (!ANNOUNCED[moment.kind]) return
  const list = byId('latest')
  const item = el('li', {}, [el('time', { datetime: new Date(moment.at).toISOString(), text: clock(moment.at) }), describe(moment)])
  list.prepend(item)
  while (list.children.length > MAX_LATEST) list.lastElementChild.remove()
}

const connect = () => {
  const source = new EventSource(BASE + '/events')
  source.addEventListener('snapshot', (message) => {
    const snapshot = JSON.parse(message.data)
    state.offset = snapshot.now - Date.now()
    state.keptMs = snapshot.windowMs
    state.functions = snapshot.functions
    state.rows = new Map(snapshot.environments.map((row) => [row.id, row]))
    state.history = snapshot.history.slice()
    byId('connection').textContent = 'Live'
    // The trace view (traces.js) keeps its own state: it hears the traces through the document.
    document.dispatchEvent(new CustomEvent('lambda-lifetime:traces', { detail: { functions: snapshot.functions, traces: snapshot.traces || [] } }))
    fillFunctions()
    draw()
  })
  source.addEventListener('message', (message) => {
    const update = JSON.parse(message.data)
    if (update.trace) {
      document.dispatchEvent(new CustomEvent('lambda-lifetime:trace', { detail: update.trace }))
      return
    }
    if (update.row) state.rows.set(update.row.id, update.row)
    remember(update.moment)
    announce(update.moment)
    if (state.scheduled) return
    state.scheduled = true
    requestAnimationFrame(() => {
      state.scheduled = false
      draw()
    })
  })
  source.addEventListener('error', () => {
    byId('connection').textContent = 'Reconnecting…'
  })
}

// The tables: one per function, rows updated in place.
const COLUMNS = [
  ['Environment', (row) => row.shortId, 'id'],
  ['State', null, ''],
  ['Type', (row) => row.initType, ''],
  ['Invocations', (row) => String(row.invocations), 'num'],
  ['Age', (row) => duration((row.endedAt || serverNow()) - row.createdAt), 'num'],
  ['Idle', (row) => (row.state === 'idle' || row.state === 'frozen') && row.lastInvocationEndAt ? duration(serverNow() - row.lastInvocationEndAt) : '–', 'num'],
  ['Restarts', (row) => String(row.restarts), 'num'],
  ['Last duration', (row) => duration(row.lastDurationMs), 'num'],
  ['Memory', (row) => (row.maxMemoryUsedMb === null ? '–' : row.maxMemoryUsedMb + ' MB') + ' / ' + row.memoryMb + ' MB', 'num'],
]

const stopEnvironment = async (row, button) => {
  button.disabled = true
  button.textContent = 'Stopping…'
  const answer = await post('/stop', { id: row.id })
  if (!answer.ok) {
    button.disabled = false
    button.textContent = 'Stop'
    byId('connection').textContent = 'Stop failed: ' + answer.body.message
  }
}

const tableFor = (fn) => {
  let section = document.querySelector('section.function[data-name="' + CSS.escape(fn.name) + '"]')
  if (section) return section
  const headRow = el('tr', {}, COLUMNS.map(([label, , kind]) => el('th', { scope: 'col', class: kind, text: label })).concat([el('th', { scope: 'col', text: 'Action' })]))
  const caption = el('caption', {}, [fn.name, el('span', { class: 'fn-meta', text: fn.memoryMb + ' MB · timeout ' + duration(fn.timeoutMs) })])
  const table = el('table', {}, [caption, el('thead', {}, [headRow]), el('tbody')])
  section = el('section', { class: 'function', 'data-name': fn.name }, [table, el('p', { class: 'empty', text: 'No environment yet: invoke ' + fn.name + ' to see a cold start.' })])
  byId('functions').append(section)
  return section
}

const rowFor = (tbody, row) => {
  let tr = tbody.querySelector('tr[data-id="' + CSS.escape(row.id) + '"]')
  if (tr) return tr
  const cells = COLUMNS.map(([, , kind]) => el(kind === 'id' ? 'th' : 'td', kind === 'id' ? { scope: 'row', class: 'id' } : { class: kind }))
  const button = el('button', { type: 'button', class: 'secondary', 'aria-label': 'Stop environment ' + row.shortId + ' of ' + row.functionName, text: 'Stop' })
  button.addEventListener('click', () => stopEnvironment(row, button))
  tr = el('tr', { 'data-id': row.id }, cells.concat([el('td', {}, [button])]))
  tbody.append(tr)
  return tr
}

const drawTables = () => {
  for (const fn of state.functions) {
    const section = tableFor(fn)
    const tbody = section.querySelector('tbody')
    const rows = [...state.rows.values()].filter((row) => row.functionName === fn.name)
    const ids = new Set(rows.map((row) => row.id))
    for (const tr of [...tbody.children]) if (!ids.has(tr.dataset.id)) tr.remove()
    for (const row of rows) {
      const tr = rowFor(tbody, row)
      tr.className = row.state === 'shut down' ? 'ended' : ''
      tr.dataset.state = row.state
      COLUMNS.forEach(([, text], index) => {
        const cell = tr.children[index]
        if (text) cell.textContent = text(row)
        else cell.replaceChildren(el('span', { class: 'state ' + row.state.replace(' ', '-'), text: row.state + (row.inFlight > 1 ? ' ×' + row.inFlight : '') }))
      })
      const button = tr.lastElementChild.firstElementChild
      if (row.state === 'shut down' || row.state === 'draining') {
        button.disabled = true
        button.textContent = row.state === 'draining' ? 'Stopping…' : 'Stopped'
      }
    }
    section.querySelector('.empty').hidden = rows.length > 0
  }
}

// The lanes: one per environment, the last minutes, with the moments marked.
const spansOf = (row, moments, from, now) => {
  const spans = []
  const open = {}
  const close = (kind, at) => {
    if (open[kind] !== undefined) spans.push([kind, open[kind], at])
    delete open[kind]
  }
  for (const moment of moments) {
    switch (moment.kind) {
      case 'cold-start': open.init = moment.at; break
      case 'ready': case 'init-failed': close('init', moment.at); break
      case 'invoke-start': open.busy = open.busy === undefined ? moment.at : open.busy; break
      case 'invoke-end': close('busy', moment.at); break
      case 'freeze': open.frozen = moment.at; break
      case 'thaw': close('frozen', moment.at); break
      case 'shutdown': close('frozen', moment.at); close('busy', moment.at); close('init', moment.at); open.draining = moment.at; break
      case 'stopped': close('draining', moment.at); break
    }
  }
  const end = row.endedAt || now
  for (const kind of Object.keys(open)) spans.push([kind, open[kind], end])
  return spans.filter((span) => span[2] >= from)
}

const MARKS = { 'cold-start': '▲', restart: '↻' }
const markOf = (moment) => {
  if (MARKS[moment.kind]) return MARKS[moment.kind]
  if (moment.kind === 'shutdown') return (moment.detail || '').endsWith('SIGTERM') ? 'T' : '✕'
  return null
}

const drawLanes = () => {
  const host = byId('lanes')
  const width = Math.max(480, host.clientWidth)
  const now = serverNow()
  const from = now - state.windowMs
  const labelWidth = 130
  const laneHeight = 24
  const plot = width - labelWidth - 12
  const x = (at) => labelWidth + Math.max(0, Math.min(1, (at - from) / state.windowMs)) * plot
  const byEnvironment = new Map()
  for (const moment of state.history) {
    if (moment.environmentId === null) continue
    const list = byEnvironment.get(moment.environmentId) || []
    list.push(moment)
    byEnvironment.set(moment.environmentId, list)
  }
  const lanes = []
  for (const fn of state.functions) {
    const rows = [...state.rows.values()].filter((row) => row.functionName === fn.name && (row.endedAt || now) >= from)
    lanes.push({ fn })
    for (const row of rows) lanes.push({ row })
  }
  const height = 24 + lanes.length * laneHeight + 4
  const label = 'Lanes of ' + (lanes.length - state.functions.length) + ' environments over the last ' + duration(state.windowMs)
  const root = svg('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label })
  const axis = svg('g', { class: 'axis' })
  const step = state.windowMs <= 60000 ? 10000 : state.windowMs <= 300000 ? 60000 : 180000
  const ticks = Math.round(state.windowMs / step)
  for (let tick = 0; tick <= ticks; tick++) {
    const at = from + tick * step
    const ago = (ticks - tick) * step
    axis.append(svg('line', { class: 'grid', x1: x(at), x2: x(at), y1: 16, y2: height }))
    const text = ago === 0 ? 'now' : '−' + (step < 60000 ? ago / 1000 + ' s' : ago / 60000 + ' min')
    axis.append(svg('text', { x: x(at), y: 12, 'text-anchor': tick === 0 ? 'start' : tick === ticks ? 'end' : 'middle' }, text))
  }
  root.append(axis)
  lanes.forEach((lane, index) => {
    const y = 24 + index * laneHeight
    if (lane.fn) {
      root.append(svg('text', { class: 'fn-label', x: 4, y: y + 16 }, lane.fn.name))
      return
    }
    const row = lane.row
    const group = svg('g', { class: 'lane', 'data-id': row.id })
    group.append(svg('text', { x: 14, y: y + 16 }, row.shortId))
    const start = Math.max(row.createdAt, from)
    const end = row.endedAt || now
    group.append(svg('rect', { class: row.endedAt ? 'ended' : 'idle', x: x(start), y: y + 4, width: Math.max(1, x(end) - x(start)), height: laneHeight - 8 }))
    const moments = byEnvironment.get(row.id) || []
    for (const [kind, spanStart, spanEnd] of spansOf(row, moments, from, now)) {
      const left = x(Math.max(spanStart, from))
      const rect = svg('rect', { class: kind, x: left, y: y + 4, width: Math.max(kind === 'busy' ? 2 : 1, x(spanEnd) - left), height: laneHeight - 8 })
      rect.append(svg('title', {}, kind + ' ' + clock(spanStart) + '–' + clock(spanEnd)))
      group.append(rect)
    }
    for (const moment of moments) {
      const mark = moment.at >= from ? markOf(moment) : null
      if (!mark) continue
      const text = svg('text', { class: 'mark', x: x(moment.at), y: y + 17, 'text-anchor': 'middle' }, mark)
      text.append(svg('title', {}, describe(moment) + ' at ' + clock(moment.at)))
      group.append(text)
    }
    root.append(group)
  })
  host.replaceChildren(root)
}

const draw = () => {
  drawTables()
  drawLanes()
}

// The actions: JSON with the page's token.
const post = async (path, body) => {
  try {
    const response = await fetch(BASE + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-lambda-lifetime-token': TOKEN },
      body: JSON.stringify(body),
    })
    return { ok: response.ok, status: response.status, body: await response.json() }
  } catch (error) {
    return { ok: false, status: 0, body: { message: 'the emulator did not answer: ' + error.message } }
  }
}

const fillFunctions = () => {
  const select = byId('invoke-function')
  const chosen = select.value
  select.replaceChildren(...state.functions.map((fn) => el('option', { value: fn.name, text: fn.name })))
  if (chosen) select.value = chosen
}

const loadSamples = async () => {
  const response = await fetch(BASE + '/samples')
  const samples = await response.json()
  const select = byId('invoke-sample')
  for (const sample of samples) select.append(el('option', { value: sample.name, text: sample.name + ' — ' + sample.description }))
  select.addEventListener('change', () => {
    const sample = samples.find((candidate) => candidate.name === select.value)
    byId('invoke-payload').value = JSON.stringify(sample ? sample.event : {}, null, 2)
    checkPayload()
  })
}

const checkPayload = () => {
  const area = byId('invoke-payload')
  try {
    JSON.parse(area.value)
    area.removeAttribute('aria-invalid')
    byId('invoke-problem').textContent = ''
    return true
  } catch (error) {
    area.setAttribute('aria-invalid', 'true')
    byId('invoke-problem').textContent = 'The event is not JSON: ' + error.message
    return false
  }
}

const showAnswer = (answer) => {
  const box = byId('answer')
  box.hidden = false
  const summary = byId('answer-summary')
  const body = answer.body
  if (!answer.ok) {
    summary.replaceChildren(el('span', { class: 'failed', text: 'Not invoked (' + answer.status + '): ' + body.message }))
    byId('answer-payload').textContent = ''
    byId('answer-log').textContent = ''
    return
  }
  let payload = body.payload
  try { payload = JSON.stringify(JSON.parse(body.payload), null, 2) } catch { /* shown as it came */ }
  const parts = [body.functionError ? el('span', { class: 'failed', text: 'Function error · ' }) : 'Success · ', 'environment ', el('code', { text: body.environment || '–' }), ' · ' + body.roundTripMs + ' ms round trip · request ', el('code', { text: body.requestId })]
  summary.replaceChildren(...parts)
  byId('answer-payload').textContent = payload
  byId('answer-log').textContent = body.log
}

byId('lanes-window').addEventListener('change', (changed) => {
  state.windowMs = Math.min(Number(changed.target.value), state.keptMs)
  drawLanes()
})
byId('invoke-payload').addEventListener('input', checkPayload)
byId('invoke-form').addEventListener('submit', async (submitted) => {
  submitted.preventDefault()
  if (!checkPayload()) return byId('invoke-payload').focus()
  const button = byId('invoke-button')
  button.disabled = true
  button.textContent = 'Invoking…'
  const answer = await post('/invoke', { functionName: byId('invoke-function').value, payload: byId('invoke-payload').value })
  button.disabled = false
  button.textContent = 'Invoke'
  showAnswer(answer)
})

connect()
loadSamples()
setInterval(() => { if (state.functions.length > 0) draw() }, 1000)
`
