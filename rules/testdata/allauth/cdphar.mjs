// A headless Chromium driven over the DevTools protocol (Node's built-in
// WebSocket, no driver library), whose tabs' Network events are assembled
// into HAR 1.2 entries the way DevTools' own export does: redirect hops, raw
// request and response headers with cookies (the ExtraInfo events), response
// bodies. Used by rec.mjs here and by ../par-discovery/rec.mjs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// browser starts Chromium with a fresh profile; acceptLanguage is a plain
// list ("de,en": Chromium adds the q values).
export async function browser(acceptLanguage = 'en-US,en') {
  const profile = mkdtempSync(join(tmpdir(), 'har-chromium-'));
  const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
    '--host-resolver-rules=MAP localhost 127.0.0.1', `--user-data-dir=${profile}`,
    '--remote-debugging-port=0', 'about:blank'], { stdio: 'ignore' });
  let port;
  for (let i = 0; i < 100 && !port; i++) {
    await sleep(100);
    try { port = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]; } catch {}
  }
  if (!port) throw new Error('chromium did not start');
  const version = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
  const userAgent = version['User-Agent'].replace('HeadlessChrome', 'Chrome');
  const entries = [];
  const bodies = [];
  const tabs = [];

  function recorder(send) {
    const mine = {}; // this tab's entries (request ids are the renderer's)
    const live = new Map(); // requestId -> the entry of its current hop
    const reqExtra = new Map(), respExtra = new Map(); // requestId -> raw headers, in hop order
    const headerList = (h) => Object.entries(h || {}).flatMap(([name, v]) => String(v).split('\n').map((value) => ({ name, value })));
    // A hop's response is written at the end, when every ExtraInfo event (the raw
    // headers, Set-Cookie included) has arrived: they come in hop order, but
    // not always before the next hop's request.
    const respond = (e, r) => { e._r = r; e.response = {}; };
    const build = (e, extra) => {
      const r = e._r;
      const h = extra && extra.statusCode === r.status ? extra.headers : r.headers;
      const loc = Object.entries(h || {}).find(([k]) => k.toLowerCase() === 'location');
      e.response = {
        status: r.status, statusText: r.statusText || '', httpVersion: r.protocol === 'h2' ? 'h2' : 'HTTP/1.1',
        headers: headerList(h), cookies: [], content: e.response.content || { size: 0, mimeType: r.mimeType || '' },
        redirectURL: loc ? loc[1] : '', headersSize: -1, bodySize: -1,
      };
    };
    return {
      'Network.requestWillBeSent'(p) {
        const prev = live.get(p.requestId);
        if (prev && p.redirectResponse) respond(prev, p.redirectResponse);
        const u = new URL(p.request.url);
        if (!u.protocol.startsWith('http')) return;
        const e = {
          startedDateTime: new Date(p.wallTime * 1000).toISOString(), time: 0,
          request: {
            method: p.request.method, url: p.request.url, httpVersion: 'HTTP/1.1',
            headers: headerList(p.request.headers), queryString: [...u.searchParams].map(([name, value]) => ({ name, value })),
            cookies: [], headersSize: -1, bodySize: p.request.postData ? Buffer.byteLength(p.request.postData) : 0,
          },
          response: null, cache: {}, timings: { send: 0, wait: 0, receive: 0 }, _resourceType: (p.type || '').toLowerCase(),
          _id: p.requestId, _ts: p.timestamp, _mine: mine,
        };
        if (p.request.postData) e.request.postData = { mimeType: p.request.headers['Content-Type'] || '', text: p.request.postData };
        live.set(p.requestId, e);
        entries.push(e);
      },
      'Network.requestWillBeSentExtraInfo'(p) {
        if (!reqExtra.has(p.requestId)) reqExtra.set(p.requestId, []);
        reqExtra.get(p.requestId).push(p);
      },
      'Network.responseReceivedExtraInfo'(p) {
        if (!respExtra.has(p.requestId)) respExtra.set(p.requestId, []);
        respExtra.get(p.requestId).push(p);
      },
      'Network.responseReceived'(p) {
        const e = live.get(p.requestId);
        if (e) { e._resp = p.response; }
      },
      'Network.loadingFinished'(p) {
        const e = live.get(p.requestId);
        if (!e || !e._resp) return;
        respond(e, e._resp);
        e.request.httpVersion = e._resp.protocol === 'h2' ? 'h2' : 'HTTP/1.1';
        e.time = Math.max(0, Math.round((p.timestamp - e._ts) * 1000));
        e.timings.wait = e.time;
        bodies.push(send('Network.getResponseBody', { requestId: p.requestId }).then((b) => {
          const text = b.base64Encoded ? Buffer.from(b.body, 'base64').toString('utf8') : b.body;
          e.response.content = { size: Buffer.byteLength(text), mimeType: e._resp.mimeType || '', text };
        }, () => {}));
      },
      finish() {
        // Raw request headers (with Cookie) replace the ones the page asked
        // for, and raw response headers the parsed ones, hop by hop.
        for (const [id, list] of reqExtra) {
          const hops = entries.filter((e) => e._id === id && e._mine === mine);
          list.forEach((x, i) => { if (hops[i]) hops[i].request.headers = headerList(x.headers); });
        }
        for (const id of new Set(entries.filter((e) => e._r && e._mine === mine).map((e) => e._id))) {
          const extras = respExtra.get(id) || [];
          entries.filter((e) => e._id === id && e._r && e._mine === mine).forEach((e, i) => build(e, extras[i]));
        }
      },
    };
  }

  // tab opens a tab whose traffic goes into the HAR.
  async function tab() {
    const t = await (await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: 'PUT' })).json();
    const ws = new WebSocket(t.webSocketDebuggerUrl);
    await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
    let id = 0;
    const pending = new Map();
    const send = (method, params = {}) => new Promise((r, j) => {
      const n = ++id;
      pending.set(n, (m) => (m.error ? j(new Error(`${method}: ${m.error.message}`)) : r(m.result)));
      ws.send(JSON.stringify({ id: n, method, params }));
    });
    const rec = recorder(send);
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
      else if (m.method && rec[m.method]) rec[m.method](m.params);
    };
    await send('Network.enable');
    await send('Network.setUserAgentOverride', { userAgent, acceptLanguage });
    const evaluate = async (expr) => (await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true })).result.value;
    const waitFor = async (expr, what) => {
      for (let i = 0; i < 100; i++) {
        try { if (await evaluate(expr)) return; } catch {}
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${what}; at ${await evaluate('location.href')}`);
    };
    const tb = { send, evaluate, waitFor, finish: rec.finish, close: () => ws.close() };
    tabs.push(tb);
    return tb;
  }

  // har waits for the bodies and returns the HAR of every tab, entries in
  // the order their requests started; creator names the script.
  async function har(creator) {
    await Promise.all(bodies);
    for (const t of tabs) t.finish();
    return {
      log: {
        version: '1.2', creator: { name: creator, version: '1' },
        browser: { name: 'Chromium', version: version.Browser.replace(/^[^/]*\//, '') }, pages: [],
        entries: entries.filter((e) => e.response).sort((x, y) => x._ts - y._ts).map(({ _id, _ts, _resp, _r, _mine, ...e }) => e),
      },
    };
  }

  async function close() {
    for (const t of tabs) t.close();
    const exited = new Promise((r) => chrome.once('exit', r));
    chrome.kill();
    await Promise.race([exited, sleep(3000)]);
    try { rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 }); } catch (e) { console.log(`note: ${e.message}`); }
  }

  // urls are the URLs requested so far, in order.
  const urls = () => entries.map((e) => e.request.url);

  return { tab, har, close, urls };
}
