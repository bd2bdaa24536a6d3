// A headless Chromium driven over the DevTools protocol (Node's built-in
// WebSocket, no driver library) whose traffic is assembled into HAR 1.2
// entries the way DevTools' own export does, as ../allauth/cdphar.mjs does,
// with what a single-page app's sign-in needs besides: one connection to the
// browser with flattened sessions auto-attached to every page, every
// out-of-process iframe (a hidden silent-renew iframe on the provider's site)
// and every popup, so their requests are in the HAR too; extra Chromium flags
// (an https provider with a self-signed certificate) and environment
// (SSLKEYLOGFILE for the capture's key log).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function browser({ acceptLanguage = 'en-US,en', args = [], env = {} } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'har-chromium-'));
  const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
    '--disable-popup-blocking', ...args, `--user-data-dir=${profile}`,
    '--remote-debugging-port=0', 'about:blank'], { stdio: 'ignore', env: { ...process.env, ...env } });
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
  const recorders = [];

  const ws = new WebSocket(version.webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let id = 0;
  const pending = new Map();
  const sessions = new Map(); // sessionId -> { rec, type, url }
  const send = (method, params = {}, sessionId) => new Promise((r, j) => {
    const n = ++id;
    pending.set(n, (m) => (m.error ? j(new Error(`${method}: ${m.error.message}`)) : r(m.result)));
    ws.send(JSON.stringify(sessionId ? { id: n, method, params, sessionId } : { id: n, method, params }));
  });
  const popups = []; // page targets opened by a page (window.open)

  function recorder(sendIn) {
    const mine = {};
    const live = new Map();
    const reqExtra = new Map(), respExtra = new Map();
    const headerList = (h) => Object.entries(h || {}).flatMap(([name, v]) => String(v).split('\n').map((value) => ({ name, value })));
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
        bodies.push(sendIn('Network.getResponseBody', { requestId: p.requestId }).then((b) => {
          const text = b.base64Encoded ? Buffer.from(b.body, 'base64').toString('utf8') : b.body;
          e.response.content = { size: Buffer.byteLength(text), mimeType: e._resp.mimeType || '', text };
        }, () => {}));
      },
      // A request the page saw fail (a CORS block, a cancelled fetch) or
      // whose body Chromium did not keep: its answer when one came, else
      // status 0 with Chromium's reason, as DevTools exports it.
      'Network.loadingFailed'(p) {
        const e = live.get(p.requestId);
        if (!e || e.response) return;
        if (e._resp) respond(e, e._resp);
        else e.response = { status: 0, statusText: '', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: '' }, redirectURL: '', headersSize: -1, bodySize: -1, _error: p.errorText || '' };
        e.time = Math.max(0, Math.round((p.timestamp - e._ts) * 1000));
        e.timings.wait = e.time;
        e.comment = `loading failed: ${p.errorText || '?'}${p.blockedReason ? ` (${p.blockedReason})` : ''}${p.corsErrorStatus ? ` (CORS ${p.corsErrorStatus.corsError})` : ''}`;
      },
      finish() {
        for (const [rid, list] of reqExtra) {
          const hops = entries.filter((e) => e._id === rid && e._mine === mine);
          list.forEach((x, i) => { if (hops[i]) hops[i].request.headers = headerList(x.headers); });
        }
        for (const rid of new Set(entries.filter((e) => e._r && e._mine === mine).map((e) => e._id))) {
          const extras = respExtra.get(rid) || [];
          entries.filter((e) => e._id === rid && e._r && e._mine === mine).forEach((e, i) => build(e, extras[i]));
        }
      },
    };
  }

  // attached sets up a new session (a page, an iframe or a popup): its
  // network is recorded, its own children auto-attached, then it runs.
  async function attached(p) {
    const sid = p.sessionId;
    const t = p.targetInfo;
    if (!['page', 'iframe'].includes(t.type)) {
      await send('Runtime.runIfWaitingForDebugger', {}, sid).catch(() => {});
      return;
    }
    const rec = recorder((m, q) => send(m, q, sid));
    recorders.push(rec);
    sessions.set(sid, { rec, type: t.type, targetId: t.targetId });
    if (t.type === 'page' && t.openerId) popups.push(t.targetId);
    try {
      await send('Network.enable', {}, sid);
      await send('Network.setUserAgentOverride', { userAgent, acceptLanguage }, sid);
      await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sid);
    } finally {
      // A target left waiting would never load.
      await send('Runtime.runIfWaitingForDebugger', {}, sid).catch(() => {});
    }
  }

  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); return; }
    if (m.method === 'Target.attachedToTarget') { attached(m.params).catch(() => {}); return; }
    const s = m.sessionId && sessions.get(m.sessionId);
    if (s && s.rec[m.method]) s.rec[m.method](m.params);
  };
  // Every page target (tabs and popups) is attached, paused until recorded.
  await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });

  // pageSession returns the session of a page target (once attached).
  async function pageSession(targetId) {
    for (let i = 0; i < 100; i++) {
      for (const [sid, s] of sessions) if (s.targetId === targetId) return sid;
      await sleep(50);
    }
    throw new Error(`no session for target ${targetId}`);
  }

  function handle(sid) {
    // evaluate gives up after 5 s: a page navigating away never answers.
    const evaluate = async (expr) => {
      const r = await Promise.race([send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true }, sid),
        sleep(5000).then(() => { throw new Error('no answer'); })]);
      return r.result.value;
    };
    const waitFor = async (expr, what, tries = 150) => {
      for (let i = 0; i < tries; i++) {
        try { if (await evaluate(expr)) return; } catch {}
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${what}; at ${await evaluate('location.href').catch(() => '?')}`);
    };
    return { sid, send: (m, q) => send(m, q, sid), evaluate, waitFor };
  }

  // tab opens a new tab whose traffic (and its frames' and popups') goes into the HAR.
  async function tab() {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    return handle(await pageSession(targetId));
  }

  // popup returns the handle of the n-th popup a page opened.
  async function popup(n = 0, what = 'a popup') {
    for (let i = 0; i < 100 && popups.length <= n; i++) await sleep(100);
    if (popups.length <= n) throw new Error(`no ${what}`);
    return handle(await pageSession(popups[n]));
  }

  async function har(creator) {
    await Promise.all(bodies);
    for (const r of recorders) r.finish();
    return {
      log: {
        version: '1.2', creator: { name: creator, version: '1' },
        browser: { name: 'Chromium', version: version.Browser.replace(/^[^/]*\//, '') }, pages: [],
        entries: entries.filter((e) => e.response && e.response.status !== undefined).sort((x, y) => x._ts - y._ts)
          .map(({ _id, _ts, _resp, _r, _mine, ...e }) => e),
      },
    };
  }

  async function close() {
    ws.close();
    const exited = new Promise((r) => chrome.once('exit', r));
    chrome.kill();
    await Promise.race([exited, sleep(3000)]);
    try { rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 }); } catch (e) { console.log(`note: ${e.message}`); }
  }

  const urls = () => entries.map((e) => e.request.url);
  // locations are the Location headers of the redirects answered so far.
  const locations = () => entries.filter((e) => e._r).map((e) => Object.entries(e._r.headers || {}).find(([k]) => k.toLowerCase() === "location")?.[1]).filter(Boolean);
  return { tab, popup, har, close, urls, locations, send };
}
