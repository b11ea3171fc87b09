/**
 * The dashboard's trace view (plain browser JavaScript, an ES module): the last traces per function,
 * kept up to date from the page's event stream (the main script passes them on as document events),
 * and the waterfall of one trace, read from `<dashboard>/traces/<trace id>` when it is opened and again
 * when a segment of it arrives.
 */
export const TRACE_SCRIPT = `
const BASE = '/_lambda-lifetime/dashboard'
const MAX_SHOWN = 100
const view = { traces: new Map(), functionName: '', open: null, refetch: null }

const byId = (id) => document.getElementById(id)
const el = (tag, attributes, children) => {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === 'text') node.textContent = value
    // Through the CSSOM: the page's policy forbids style attributes, not styles set by its own script.
    else if (name === 'style') for (const [property, setting] of Object.entries(value)) node.style.setProperty(property, setting)
    else node.setAttribute(name, value)
  }
  for (const child of children || []) node.append(child)
  return node
}
const ms = (value) => (value === null || value === undefined ? 'in progress' : value < 10 ? value.toFixed(1) + ' ms' : Math.round(value) + ' ms')
const clock = (at) => new Date(at).toLocaleTimeString([], { hour12: false })
const short = (id) => (id ? String(id).slice(0, 8) : '–')
const durationOf = (trace) => (trace.endMs === null ? null : trace.endMs - trace.startMs)

const fillFunctions = (functions) => {
  const select = byId('traces-function')
  const known = new Set([...select.options].map((option) => option.value))
  for (const fn of functions) if (!known.has(fn.name)) select.append(el('option', { value: fn.name, text: fn.name }))
}

const drawList = () => {
  const shown = [...view.traces.values()]
    .filter((trace) => view.functionName === '' || trace.functionName === view.functionName)
    .sort((a, b) => b.startMs - a.startMs)
    .slice(0, MAX_SHOWN)
  byId('traces-empty').hidden = shown.length > 0
  byId('traces-table').hidden = shown.length === 0
  byId('traces-rows').replaceChildren(
    ...shown.map((trace) => {
      const open = el('button', { type: 'button', class: 'secondary', text: 'Waterfall', 'aria-label': 'Waterfall of trace ' + trace.traceId }, [])
      open.addEventListener('click', () => openTrace(trace.traceId))
      const row = el('tr', { 'data-trace-id': trace.traceId, class: trace.fault || trace.error ? 'failed' : '' }, [
        el('td', { text: clock(trace.startMs) }),
        el('td', { text: trace.functionName || '(not of this run)' }),
        el('td', { class: 'num', text: ms(durationOf(trace)) }),
        el('td', { class: 'num', text: String(trace.segmentCount) }),
        el('td', { text: String(trace.annotations.start_type ?? '–') }),
        el('td', { class: 'id', text: short(trace.annotations.container_id), title: String(trace.annotations.container_id ?? '') }),
        el('td', { class: 'num', text: String(trace.annotations.invocation ?? '–') }),
        el('td', {}, [open]),
      ])
      if (view.open && view.open.traceId === trace.traceId) row.setAttribute('aria-current', 'true')
      return row
    }),
  )
}

// The waterfall: one row per segment, indented under its parent, its bar placed on the trace's time.
const depthsOf = (segments) => {
  const byId = new Map(segments.map((segment) => [segment.id, segment]))
  const depth = (segment, seen) => {
    const parent = segment.parentId && byId.get(segment.parentId)
    if (!parent || seen.has(parent.id)) return 0
    seen.add(parent.id)
    return 1 + depth(parent, seen)
  }
  return new Map(segments.map((segment) => [segment.id, depth(segment, new Set([segment.id]))]))
}

const ordered = (segments) => {
  const children = new Map()
  const ids = new Set(segments.map((segment) => segment.id))
  for (const segment of segments) {
    const parent = segment.parentId && ids.has(segment.parentId) ? segment.parentId : ''
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent).push(segment)
  }
  const out = []
  const visit = (parent) => {
    for (const segment of children.get(parent) || []) {
      out.push(segment)
      if (out.length < 1000) visit(segment.id)
    }
  }
  visit('')
  return out
}

const drawWaterfall = (trace) => {
  const host = byId('waterfall')
  host.hidden = false
  const from = trace.startMs
  const to = Math.max(trace.endMs ?? from, ...trace.segments.map((segment) => segment.endMs ?? segment.startMs))
  const span = Math.max(1, to - from)
  const depths = depthsOf(trace.segments)
  const rows = ordered(trace.segments).map((segment) => {
    const left = ((segment.startMs - from) / span) * 100
    const width = Math.max(0.4, (((segment.endMs ?? to) - segment.startMs) / span) * 100)
    const annotations = Object.entries(segment.annotations).map(([key, value]) => key + '=' + value).join(' ')
    const kind = segment.origin === 'AWS::Lambda::Function' ? 'function' : segment.fault || segment.error ? 'failed' : 'sub'
    return el('li', { class: 'segment', 'data-segment-id': segment.id }, [
      el('span', { class: 'segment-name', style: { '--depth': String(depths.get(segment.id) || 0) }, text: segment.name }),
      el('span', { class: 'segment-track' }, [
        el('span', { class: 'segment-bar ' + kind, style: { left: left.toFixed(2) + '%', width: Math.min(width, 100 - left).toFixed(2) + '%' }, title: segment.name + ' ' + ms(segment.endMs === null ? null : segment.endMs - segment.startMs) }),
      ]),
      el('span', { class: 'segment-time num', text: ms(segment.endMs === null ? null : segment.endMs - segment.startMs) }),
      el('span', { class: 'segment-annotations', style: { '--depth': String(depths.get(segment.id) || 0) }, text: annotations }),
    ])
  })
  host.replaceChildren(
    el('h3', { text: 'Trace ' + trace.traceId }),
    el('p', { class: 'muted', text: (trace.functionName || 'not of this run') + ', ' + ms(durationOf(trace)) + ', ' + trace.segmentCount + ' segments' + (trace.requestId ? ', request ' + trace.requestId : '') }),
    el('ol', { class: 'segments', 'aria-label': 'Segments of trace ' + trace.traceId }, rows),
  )
}

const openTrace = async (traceId) => {
  view.open = { traceId }
  drawList()
  const response = await fetch(BASE + '/traces/' + encodeURIComponent(traceId))
  if (!response.ok) {
    byId('waterfall').hidden = false
    byId('waterfall').replaceChildren(el('p', { class: 'problem', text: 'This trace is no longer kept.' }))
    return
  }
  const trace = await response.json()
  if (view.open && view.open.traceId === traceId) drawWaterfall(trace)
}

document.addEventListener('lambda-lifetime:traces', (event) => {
  fillFunctions(event.detail.functions)
  view.traces = new Map(event.detail.traces.map((trace) => [trace.traceId, trace]))
  drawList()
})

document.addEventListener('lambda-lifetime:trace', (event) => {
  const trace = event.detail
  view.traces.set(trace.traceId, trace)
  if (view.traces.size > MAX_SHOWN * 3) {
    const oldest = [...view.traces.values()].sort((a, b) => a.startMs - b.startMs).slice(0, view.traces.size - MAX_SHOWN * 2)
    for (const gone of oldest) view.traces.delete(gone.traceId)
  }
  drawList()
  // Segments of the open trace arrive one by one: its waterfall is read again once they settle.
  if (view.open && view.open.traceId === trace.traceId) {
    clearTimeout(view.refetch)
    view.refetch = setTimeout(() => openTrace(trace.traceId), 150)
  }
})

byId('traces-function').addEventListener('change', (event) => {
  view.functionName = event.target.value
  drawList()
})
`

/** The trace view's style (the page's colours and contrast rules). */
export const TRACE_STYLE = `
.traces table tr.failed td { color: var(--danger); }
.traces tr[aria-current="true"] td { background: #eef4ff; }
.traces .lanes-head select { width: auto; }
.waterfall { margin-top: .75rem; }
.waterfall .muted { color: var(--muted); margin: 0 0 .4rem; }
.segments { list-style: none; margin: 0; padding: 0; font-size: .85rem; }
.segment { display: grid; grid-template-columns: 16rem minmax(8rem, 1fr) 5.5rem; gap: .1rem .6rem; align-items: center; padding: .15rem 0; border-bottom: 1px solid #eef1f4; }
.segment-name { padding-left: calc(var(--depth, 0) * 1rem); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.segment-track { position: relative; height: .9rem; background: #f3f5f8; }
.segment-bar { position: absolute; top: 0; bottom: 0; min-width: 2px; background: var(--busy); }
.segment-bar.function { background: #102a43; }
.segment-bar.failed { background: var(--danger); }
.segment-time { text-align: right; font-variant-numeric: tabular-nums; }
.segment-annotations { grid-column: 1 / -1; padding-left: calc(var(--depth, 0) * 1rem); color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .78rem; }
.segment-annotations:empty { display: none; }
`
