// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh: panva's oidc-provider as the OpenID provider
// (http://127.0.0.1:4861), a Django app signing in through django-allauth
// (http://localhost:4862, started by gen.sh: project/, its callback
// /accounts/labop/login/callback/) and a headless Chromium driven over the
// DevTools protocol (Node's built-in WebSocket, no driver library), its
// Network events assembled into HAR 1.2 entries the way DevTools' own export
// does (redirect hops, raw request and response headers with cookies,
// response bodies). Versions are pinned by package.json, package-lock.json
// and Debian's packages. All secrets are test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY ACCEPT_LANGUAGE OUT.har
//   two-tabs    sign-in started in tab A, then in tab B (allauth 0.51 keeps
//               one state in the session: B's replaces A's), then finished
//               in tab A: allauth refuses A's callback (PermissionDenied)
//   reload      sign in, then load the callback URL again (its state is gone
//               from the session): allauth refuses it
//   denied      the user refuses at the provider: error=access_denied, which
//               allauth answers with its "login cancelled" redirect
// Prints what the browser saw; exits non-zero when the story did not happen.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const [story, acceptLanguage, out] = process.argv.slice(2);
if (!['two-tabs', 'reload', 'denied'].includes(story) || !acceptLanguage || !out) throw new Error('usage: rec.mjs STORY ACCEPT_LANGUAGE OUT.har');
const OP = 'http://127.0.0.1:4861';
const APP = 'http://localhost:4862';
const CALLBACK = `${APP}/accounts/labop/login/callback/`;
const USER = 'alice', PASSWORD = 'test-only-password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: 'allauth-app', client_secret: 'test-only-client-secret-for-allauth-app',
    redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  // django-allauth 0.51 sends no PKCE challenge.
  pkce: { required: () => false },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: 'Alice (test user)' }; } };
  },
});
const loginPage = (uid) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="/interaction/${uid}/login"><input id="username" name="username"><input id="password" name="password" type="password"><input type="hidden" id="deny" name="deny" value=""><button type="submit">Sign in</button></form></body></html>`;
provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!m) return next();
  ctx.set('Cache-Control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    if (!m[2]) { ctx.type = 'html'; ctx.body = loginPage(details.uid); return; }
    let body = '';
    for await (const c of ctx.req) body += c;
    const form = new URLSearchParams(body);
    if (form.get('deny')) {
      result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    } else {
      if (form.get('username') !== USER || form.get('password') !== PASSWORD) ctx.throw(401);
      result = { login: { accountId: USER } };
    }
  } else {
    const { prompt: { details: missing }, params, session } = details;
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
});
provider.on('authorization_code.saved', () => console.log('op: code issued'));
provider.on('grant.success', () => console.log('op: token issued'));
provider.on('grant.error', (ctx, err) => console.log(`op: token refused ${err.error}`));
const opServer = provider.listen(4861, '127.0.0.1');

// --- the browser ---
const profile = mkdtempSync(join(tmpdir(), 'allauth-chromium-'));
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

// --- the HAR: entries assembled from each tab's Network events ---
const entries = [];
const bodies = [];
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
  const evaluate = async (expr) => (await send('Runtime.evaluate', { expression: expr, returnByValue: true })).result.value;
  const waitFor = async (expr, what) => {
    for (let i = 0; i < 100; i++) {
      try { if (await evaluate(expr)) return; } catch {}
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; at ${await evaluate('location.href')}`);
  };
  return { send, evaluate, waitFor, finish: rec.finish, close: () => ws.close() };
}

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const submit = (t, deny) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)};
  document.getElementById('deny').value=${JSON.stringify(deny ? '1' : '')}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const atFailurePage = `location.pathname === '/accounts/labop/login/callback/' && !!document.querySelector('h1')`;

let ok = false;
const tabs = [];
try {
  const a = await tab(); tabs.push(a);
  await a.send('Page.navigate', { url: `${APP}/accounts/labop/login/` });
  await a.waitFor(atLoginForm, 'the login form in tab A');
  if (story === 'two-tabs') {
    const b = await tab(); tabs.push(b);
    await b.send('Page.navigate', { url: `${APP}/accounts/labop/login/` });
    await b.waitFor(atLoginForm, 'the login form in tab B');
  }
  await sleep(300);
  await submit(a, story === 'denied');
  if (story === 'two-tabs') {
    await a.waitFor(atFailurePage, 'the refused callback');
  } else if (story === 'reload') {
    await a.waitFor(`location.pathname === '/' && !!document.getElementById('who')`, 'the signed-in home page');
    console.log(`browser: ${await page(a)}`);
    const h = await a.send('Page.getNavigationHistory');
    const cb = h.entries.map((x) => x.url).find((u) => u.startsWith(CALLBACK)) ||
      entries.map((e) => e.request.url).find((u) => u.startsWith(CALLBACK));
    if (!cb) throw new Error('no callback URL to load again');
    await a.send('Page.navigate', { url: cb });
    await a.waitFor(atFailurePage, 'the refused callback');
  } else {
    await a.waitFor(`location.pathname === '/accounts/social/login/cancelled/'`, 'the cancelled page');
  }
  console.log(`browser: ${await page(a)}`);
  // The test's expectation (rules/rulestest: "want RULE PATTERN" in an entry's
  // comment), on the last callback: for the failure page, in the words the
  // browser showed as the page's title.
  const title = await a.evaluate('document.title');
  const want = story === 'two-tabs' ? `want multi-tab-race ${JSON.stringify(`django-allauth's page says "${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`)}`
    : story === 'reload' ? 'want code-reuse "delivered to the app 2 times"' : '';
  await sleep(500);
  await Promise.all(bodies);
  for (const t of tabs) t.finish();
  const har = {
    log: {
      version: '1.2', creator: { name: 'traceaudit rules/testdata/allauth/rec.mjs', version: '1' },
      browser: { name: 'Chromium', version: version.Browser.replace(/^[^/]*\//, '') }, pages: [],
      entries: entries.filter((e) => e.response).sort((x, y) => x._ts - y._ts).map(({ _id, _ts, _resp, _r, _mine, ...e }) => e),
    },
  };
  const last = har.log.entries.findLast((e) => e.request.url.startsWith(CALLBACK));
  if (want && last) last.comment = want;
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} finally {
  for (const t of tabs) t.close();
  const exited = new Promise((r) => chrome.once('exit', r));
  chrome.kill();
  await Promise.race([exited, sleep(3000)]);
  try { rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 }); } catch (e) { console.log(`note: ${e.message}`); }
  opServer.close();
  process.exit(ok ? 0 : 1);
}
