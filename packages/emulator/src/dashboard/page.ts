/**
 * The dashboard's HTML: a skeleton the script fills in, with the token of its actions in a meta tag.
 * No inline script or style (the page's Content-Security-Policy forbids both), nothing from a CDN.
 */

const DASHBOARD = '/_lambda-lifetime/dashboard'

/**
 * The page, with the token its actions must send.
 *
 * @example
 * ```ts
 * dashboardPage('s3cr3t') // '<!doctype html>…<meta name="lambda-lifetime-token" content="s3cr3t">…'
 * ```
 */
export const dashboardPage = (token: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="lambda-lifetime-token" content="${token}">
<title>lambda-lifetime emulator</title>
<link rel="stylesheet" href="${DASHBOARD}/app.css">
<script type="module" src="${DASHBOARD}/traces.js"></script>
<script type="module" src="${DASHBOARD}/app.js"></script>
</head>
<body>
<header class="top">
  <h1>lambda-lifetime emulator</h1>
  <p id="connection" role="status">Connecting…</p>
  <a class="report-link" href="${DASHBOARD}/report" target="_blank" rel="noopener">Lifetime report of this run</a>
</header>
<main>
  <div class="board">
    <section aria-labelledby="lanes-title" class="panel">
      <div class="lanes-head">
        <h2 id="lanes-title">Lanes</h2>
        <label for="lanes-window">Show the last</label>
        <select id="lanes-window">
          <option value="60000">1 minute</option>
          <option value="300000" selected>5 minutes</option>
          <option value="900000">15 minutes</option>
        </select>
      </div>
      <div id="lanes" class="lanes"></div>
      <ul class="legend" aria-label="Legend of the lanes">
        <li><span class="swatch init"></span>initializing</li>
        <li><span class="swatch busy"></span>busy</li>
        <li><span class="swatch idle"></span>idle (warm)</li>
        <li><span class="swatch frozen"></span>frozen</li>
        <li><span class="swatch draining"></span>draining</li>
        <li><span class="mark">▲</span>cold start</li>
        <li><span class="mark">↻</span>restart (crash or timeout)</li>
        <li><span class="mark">T</span>SIGTERM</li>
        <li><span class="mark">✕</span>reaped, retired or stopped</li>
      </ul>
    </section>
    <section aria-labelledby="environments-title" class="panel">
      <h2 id="environments-title">Functions and environments</h2>
      <div id="functions"></div>
    </section>
    <section aria-labelledby="traces-title" class="panel traces">
      <div class="lanes-head">
        <h2 id="traces-title">Traces</h2>
        <label for="traces-function">Function</label>
        <select id="traces-function"><option value="">All functions</option></select>
      </div>
      <p id="traces-empty" class="empty">No trace yet: a function sends segments with Active tracing (option <code>tracing: 'Active'</code>) or when its caller sampled the request.</p>
      <table id="traces-table" hidden>
        <caption class="visually-hidden">The last traces, newest first</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Function</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Segments</th><th scope="col">Start type</th><th scope="col">Container</th><th scope="col" class="num">Invocation</th><th scope="col"><span class="visually-hidden">Open</span></th></tr></thead>
        <tbody id="traces-rows"></tbody>
      </table>
      <div id="waterfall" class="waterfall" aria-live="polite" hidden></div>
    </section>
    <section aria-labelledby="latest-title" class="panel">
      <h2 id="latest-title">Latest lifecycle moments</h2>
      <ol id="latest" class="latest" aria-live="polite" aria-relevant="additions"></ol>
    </section>
  </div>
  <section aria-labelledby="invoke-title" class="panel invoke">
    <h2 id="invoke-title">Invoke</h2>
    <form id="invoke-form" novalidate>
      <label for="invoke-function">Function</label>
      <select id="invoke-function" name="function"></select>
      <label for="invoke-sample">Sample event</label>
      <select id="invoke-sample" name="sample"><option value="">Empty object {}</option></select>
      <label for="invoke-payload">Event (JSON)</label>
      <textarea id="invoke-payload" name="payload" rows="14" spellcheck="false" aria-describedby="invoke-problem">{}</textarea>
      <p id="invoke-problem" class="problem" role="alert"></p>
      <button type="submit" id="invoke-button">Invoke</button>
    </form>
    <div id="answer" class="answer" aria-live="polite" hidden>
      <h3>Answer</h3>
      <p id="answer-summary"></p>
      <pre id="answer-payload" tabindex="0" aria-label="Answer payload"></pre>
      <details><summary>Log of this invocation</summary><pre id="answer-log" tabindex="0"></pre></details>
    </div>
  </section>
</main>
</body>
</html>
`

/**
 * What the report link shows when `@lambda-lifetime/report` is not installed.
 *
 * @example
 * ```ts
 * reportMissingPage() // '<!doctype html>…npm install --save-dev @lambda-lifetime/report…'
 * ```
 */
export const reportMissingPage = (): string => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Lifetime report not installed</title>
<link rel="stylesheet" href="${DASHBOARD}/app.css"></head>
<body><main class="panel">
<h1>The lifetime report is not installed</h1>
<p>The report of this run is drawn by <code>@lambda-lifetime/report</code>, an optional companion of the emulator.
Install it next to the emulator, then reload this page:</p>
<pre>npm install --save-dev @lambda-lifetime/report</pre>
<p><a href="/">Back to the dashboard</a></p>
</main></body>
</html>
`
