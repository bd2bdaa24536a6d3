// Loads the coded-bodies page (server.mjs) in headless Chromium driven over
// the DevTools protocol (Node's WebSocket, no driver library) and writes
// what the browser saw as HAR 1.2: each response body as
// Network.getResponseBody gives it and each request body as
// Network.getRequestPostData gives it, with "encoding": "base64" where
// Chromium says it gave base64 (a request body of bytes that are no text;
// a response body of a textual type comes as text, compressed bytes
// included), a failed request with Chromium's error.
//
// Usage: node --experimental-websocket rec.mjs URL OUT.har
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, out] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const profile = mkdtempSync(join(tmpdir(), 'coded-chromium-'));
const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', `--user-data-dir=${profile}`, '--remote-debugging-port=0',
  'about:blank'], { stdio: 'ignore' });
let port;
for (let i = 0; i < 100 && !port; i++) {
  await sleep(100);
  try { port = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]; } catch {}
}
const version = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const ws = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
let id = 0;
const pending = new Map();
const send = (method, params = {}) => new Promise((r, j) => {
  const n = ++id;
  pending.set(n, (m) => (m.error ? j(new Error(`${method}: ${m.error.message}`)) : r(m.result)));
  ws.send(JSON.stringify({ id: n, method, params }));
});
const entries = new Map();
const work = [];
const headerList = (h) => Object.entries(h || {}).flatMap(([name, v]) => String(v).split('\n').map((value) => ({ name, value })));
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); return; }
  const p = m.params;
  switch (m.method) {
    case 'Network.requestWillBeSent': {
      const u = new URL(p.request.url);
      if (!u.protocol.startsWith('http')) return;
      const e = { startedDateTime: new Date(p.wallTime * 1000).toISOString(), time: 0,
        request: { method: p.request.method, url: p.request.url, httpVersion: 'HTTP/1.1', headers: headerList(p.request.headers),
          queryString: [...u.searchParams].map(([name, value]) => ({ name, value })), cookies: [], headersSize: -1, bodySize: 0 },
        response: { status: 0, statusText: '', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: '' },
          redirectURL: '', headersSize: -1, bodySize: -1 },
        cache: {}, timings: { send: 0, wait: 0, receive: 0 }, _resourceType: (p.type || '').toLowerCase(), _ts: p.timestamp };
      entries.set(p.requestId, e);
      if (p.request.hasPostData) {
        work.push(send('Network.getRequestPostData', { requestId: p.requestId }).then((d) => {
          e.request.postData = { mimeType: p.request.headers['Content-Type'] || '', text: d.postData, ...(d.base64Encoded ? { encoding: 'base64' } : {}) };
          e.request.bodySize = d.base64Encoded ? Buffer.from(d.postData, 'base64').length : Buffer.byteLength(d.postData);
        }, () => {
          // Bytes Chromium does not give as text: the entries' bytes.
          const bytes = Buffer.concat((p.request.postDataEntries || []).map((x) => Buffer.from(x.bytes || '', 'base64')));
          e.request.postData = { mimeType: p.request.headers['Content-Type'] || '', text: bytes.toString('base64'), encoding: 'base64' };
          e.request.bodySize = bytes.length;
        }));
      }
      break;
    }
    case 'Network.responseReceived': {
      const e = entries.get(p.requestId);
      if (!e) return;
      const r = p.response;
      Object.assign(e.response, { status: r.status, statusText: r.statusText || '', headers: headerList(r.headers),
        content: { size: 0, mimeType: r.mimeType || '' } });
      break;
    }
    case 'Network.loadingFinished': {
      const e = entries.get(p.requestId);
      if (!e) return;
      e.time = Math.max(0, Math.round((p.timestamp - e._ts) * 1000));
      work.push(send('Network.getResponseBody', { requestId: p.requestId }).then((b) => {
        e.response.content = { size: b.base64Encoded ? Buffer.from(b.body, 'base64').length : Buffer.byteLength(b.body),
          mimeType: e.response.content.mimeType, text: b.body, ...(b.base64Encoded ? { encoding: 'base64' } : {}) };
      }, () => {}));
      break;
    }
    case 'Network.loadingFailed': {
      const e = entries.get(p.requestId);
      if (!e) return;
      e.response._error = p.errorText || '';
      e.comment = `loading failed: ${p.errorText || '?'}`;
      break;
    }
  }
};
await send('Network.enable');
await send('Page.enable');
await send('Page.navigate', { url });
for (let i = 0; i < 100; i++) {
  await sleep(100);
  const r = await send('Runtime.evaluate', { expression: 'document.title + "\\n" + (document.getElementById("out") || {}).textContent', returnByValue: true });
  if (r.result.value.startsWith('done')) { console.log(r.result.value); break; }
}
await sleep(500);
await Promise.all(work);
const har = { log: { version: '1.2', creator: { name: 'coded-bodies rec.mjs', version: '1' },
  browser: { name: 'Chromium', version: version.Browser.replace(/^[^/]*\//, '') }, pages: [],
  entries: [...entries.values()].sort((x, y) => x._ts - y._ts).map(({ _ts, ...e }) => e) } };
writeFileSync(out, JSON.stringify(har, null, 2) + '\n');
ws.close();
chrome.kill();
await sleep(500);
rmSync(profile, { recursive: true, force: true });
