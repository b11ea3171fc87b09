/**
 * The dashboard's style sheet. Colours keep text at a contrast of at least 4.5:1 on their background
 * (WCAG AA); state is never told by colour alone (the table says it in words, the lanes have titles).
 */
export const CLIENT_STYLE = `
:root {
  --text: #1b1f24; --muted: #4a5360; --line: #c9d1d9; --panel: #ffffff; --page: #f3f5f8;
  --focus: #0b57d0; --init: #f2c14e; --busy: #1f6feb; --idle: #9fd3a8; --frozen: #b7c7e6;
  --draining: #e8833a; --ended: #d0d4da; --danger: #a4161a;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--text); background: var(--page);
}
* { box-sizing: border-box; }
body { margin: 0; }
.top { display: flex; align-items: baseline; gap: 1.5rem; padding: .75rem 1.25rem; background: #102a43; color: #fff; }
.top h1 { font-size: 1.2rem; margin: 0; }
.top p { margin: 0; color: #d9e2ec; }
.top .report-link { margin-left: auto; color: #fff; font-weight: 600; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 22rem; gap: 1rem; padding: 1rem 1.25rem; }
.board { display: flex; flex-direction: column; gap: 1rem; min-width: 0; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
.panel h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
main > .invoke { align-self: start; }
.lanes-head { display: flex; align-items: baseline; gap: .6rem; }
.lanes-head h2 { margin-right: auto; }
.lanes-head label { display: inline; margin: 0; font-weight: 400; color: var(--muted); }
.lanes-head select { width: auto; }
h3 { font-size: 1rem; margin: .75rem 0 .25rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
caption .fn-meta { font-weight: 400; color: var(--muted); margin-left: .5rem; }
section.function { overflow-x: auto; }
th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: .85rem; }
td.num, th.num { text-align: right; }
tr.ended td { color: var(--muted); }
code, pre, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.state { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .85rem; border: 1px solid rgba(0,0,0,.25); color: #111; }
.state.initializing { background: var(--init); } .state.busy { background: var(--busy); color: #fff; }
.state.idle { background: var(--idle); } .state.frozen { background: var(--frozen); }
.state.draining { background: var(--draining); } .state.shut-down { background: var(--ended); }
.empty { color: var(--muted); margin: .25rem 0 .75rem; }
button { font: inherit; padding: .3rem .8rem; border-radius: 4px; border: 1px solid #0b3d91; background: #0b57d0; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #0b3d91; }
button:disabled { background: #e4e7eb; color: #4a5360; border-color: #9aa5b1; cursor: default; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
label { display: block; font-weight: 600; margin: .6rem 0 .2rem; }
select, textarea { font: inherit; width: 100%; padding: .3rem; border: 1px solid #7b8794; border-radius: 4px; background: #fff; color: var(--text); }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; resize: vertical; }
textarea[aria-invalid="true"] { border-color: var(--danger); }
.problem { color: var(--danger); min-height: 1.2em; margin: .25rem 0; }
.answer pre { background: #f6f8fa; border: 1px solid var(--line); padding: .5rem; max-height: 18rem; overflow: auto; font-size: .8rem; white-space: pre-wrap; word-break: break-word; }
.answer .failed { color: var(--danger); font-weight: 600; }
.lanes svg { display: block; width: 100%; }
.lanes text { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: var(--text); }
.lanes .axis text { fill: var(--muted); font-family: system-ui, sans-serif; }
.lanes .grid { stroke: #e1e6eb; }
.lanes .fn-label { font-weight: 700; font-family: system-ui, sans-serif; }
.lanes .init { fill: var(--init); } .lanes .busy { fill: var(--busy); } .lanes .idle { fill: var(--idle); }
.lanes .frozen { fill: var(--frozen); } .lanes .draining { fill: var(--draining); } .lanes .ended { fill: var(--ended); }
.lanes .mark { font-size: 13px; font-weight: 700; fill: #111; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: .5rem 0 0; color: var(--muted); font-size: .85rem; }
.legend .swatch { display: inline-block; width: .9rem; height: .9rem; border: 1px solid rgba(0,0,0,.3); margin-right: .3rem; vertical-align: -2px; }
.legend .swatch.init { background: var(--init); } .legend .swatch.busy { background: var(--busy); }
.legend .swatch.idle { background: var(--idle); } .legend .swatch.frozen { background: var(--frozen); }
.legend .swatch.draining { background: var(--draining); }
.legend .mark { font-weight: 700; color: #111; margin-right: .3rem; }
.latest { margin: 0; padding-left: 1.25rem; max-height: 12rem; overflow: auto; font-size: .9rem; }
.latest time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 1100px) { main { grid-template-columns: minmax(0, 1fr); } }
`
