// Runs one sign-in story through real software, for gen.sh (which captures
// it with tcpdump on lo): panva's oidc-provider as the OpenID provider
// (http://127.0.0.1:4711), one of two relying parties that sit in front of
// an app, and a headless Chromium driven over the DevTools protocol (Node's
// built-in WebSocket, no driver library). All secrets are test-only values.
//
//   modoidc  Apache 2.4 with mod_auth_openidc (Debian's packages), protecting
//            /protected/ at http://localhost:4712, OIDCRedirectURI
//            /protected/redirect_uri, its defaults otherwise
//   o2p      oauth2-proxy v7 (its binary from $O2P), at http://localhost:4713,
//            provider oidc, callback /oauth2/callback, upstream static://200
//
// Usage: [HAR=FILE] node --experimental-websocket rec.mjs RP STORY
// (with HAR, the browser's side is also written to FILE as HAR 1.2)
//   clean            sign in once
//   replay           sign in, then load the callback URL again (the browser's
//                    back button or a bookmarked callback)
//   double-callback  the callback sent twice at once with the same state
//                    cookie (held, then released together, as a double click
//                    or a reload while the first is still loading sends it)
//   lost-state       sign-in started, the RP's state (CSRF) cookie deleted, as
//                    a browser dropping or expiring it would, then finished
//   two-tabs         sign-in started in tab A, then in tab B, then A finishes,
//                    then B (mod_auth_openidc keeps a state cookie per sign-in,
//                    oauth2-proxy one CSRF cookie, which B's start overwrites)
//   redirect-mismatch the RP sends a redirect_uri the client has not registered
//   wrong-secret     the RP authenticates with a client secret the provider
//                    does not have
// Prints what the browser saw; exits non-zero when the story did not happen.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const [rp, story] = process.argv.slice(2);
const stories = ['clean', 'replay', 'double-callback', 'lost-state', 'two-tabs', 'redirect-mismatch', 'wrong-secret'];
if (!['modoidc', 'o2p'].includes(rp) || !stories.includes(story)) throw new Error(`usage: rec.mjs modoidc|o2p ${stories.join('|')}`);
const OP = 'http://127.0.0.1:4711';
const APP = rp === 'modoidc' ? 'http://localhost:4712' : 'http://localhost:4713';
const START = rp === 'modoidc' ? `${APP}/protected/` : `${APP}/`;
const CALLBACK = rp === 'modoidc' ? `${APP}/protected/redirect_uri` : `${APP}/oauth2/callback`;
const SENT_CALLBACK = story === 'redirect-mismatch' ? (rp === 'modoidc' ? `${APP}/redirect_uri` : `${APP}/oauth2/callback2`) : CALLBACK;
const CLIENT_ID = `${rp}-app`, SECRET = `test-only-client-secret-for-${rp}-app`;
const SENT_SECRET = story === 'wrong-secret' ? 'test-only-wrong-client-secret' : SECRET;
const USER = 'alice', PASSWORD = 'test-only-password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), `rec-${rp}-`));
chmodSync(work, 0o755);

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: CLIENT_ID, client_secret: SECRET, redirect_uris: [CALLBACK],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
  pkce: { required: () => false },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: 'Alice (test user)', preferred_username: id, email: `${id}@example.test`, email_verified: true }; } };
  },
});
const loginPage = (uid) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="/interaction/${uid}/login"><input id="username" name="username"><input id="password" name="password" type="password"><button type="submit">Sign in</button></form></body></html>`;
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
    if (form.get('username') !== USER || form.get('password') !== PASSWORD) ctx.throw(401);
    result = { login: { accountId: USER } };
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
provider.on('authorization.error', (ctx, err) => console.log(`op: authorize refused ${err.error} ${err.error_description}`));
const opServer = provider.listen(4711, '127.0.0.1');
await sleep(300);

// --- the relying party ---
let rpProc;
if (rp === 'modoidc') {
  const M = '/usr/lib/apache2/modules';
  mkdirSync(join(work, 'run'));
  mkdirSync(join(work, 'htdocs/protected'), { recursive: true });
  writeFileSync(join(work, 'htdocs/protected/index.html'), '<!DOCTYPE html><title>Protected</title><p id="who">Protected page</p>\n');
  writeFileSync(join(work, 'apache.conf'), `ServerRoot ${work}
ServerName localhost
Listen 127.0.0.1:4712
LoadModule mpm_event_module ${M}/mod_mpm_event.so
LoadModule authn_core_module ${M}/mod_authn_core.so
LoadModule authz_core_module ${M}/mod_authz_core.so
LoadModule authz_user_module ${M}/mod_authz_user.so
LoadModule dir_module ${M}/mod_dir.so
LoadModule mime_module ${M}/mod_mime.so
LoadModule auth_openidc_module ${M}/mod_auth_openidc.so
TypesConfig /etc/mime.types
User www-data
Group www-data
PidFile ${work}/run/httpd.pid
DefaultRuntimeDir ${work}/run
Mutex file:${work}/run default
ErrorLog ${work}/error.log
LogLevel warn auth_openidc:info
DocumentRoot ${work}/htdocs
DirectoryIndex index.html
<Directory ${work}/htdocs>
  Require all granted
</Directory>
OIDCProviderMetadataURL ${OP}/.well-known/openid-configuration
OIDCClientID ${CLIENT_ID}
OIDCClientSecret ${SENT_SECRET}
OIDCRedirectURI ${SENT_CALLBACK}
OIDCCryptoPassphrase test-only-crypto-passphrase-of-the-apache-rp
OIDCScope "openid profile email"
<Location /protected/>
  AuthType openid-connect
  Require valid-user
</Location>
${story === 'redirect-mismatch' ? `<Location /redirect_uri>
  AuthType openid-connect
  Require valid-user
</Location>` : ''}
`);
  rpProc = spawn('apache2', ['-f', join(work, 'apache.conf'), '-DFOREGROUND'], { stdio: 'inherit', detached: true });
} else {
  rpProc = spawn(process.env.O2P || 'oauth2-proxy', ['--provider=oidc', `--oidc-issuer-url=${OP}`,
    `--client-id=${CLIENT_ID}`, `--client-secret=${SENT_SECRET}`, `--redirect-url=${SENT_CALLBACK}`,
    '--http-address=127.0.0.1:4713', '--cookie-secret=test-only-cookie-secret-32bytes!',
    '--cookie-secure=false', '--email-domain=*', '--upstream=static://200', '--skip-provider-button=true',
    '--silence-ping-logging=true'], { stdio: 'inherit', detached: true });
}
for (let i = 0; i < 50; i++) {
  await sleep(200);
  try { await fetch(`${APP}/ping`.replace('localhost', '127.0.0.1'), { redirect: 'manual' }); break; } catch {}
}

// --- the browser ---
const profile = mkdtempSync(join(tmpdir(), 'rec-chromium-'));
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

// --- the HAR (HAR=FILE): the browser's side, as DevTools' export holds
// it: each request and redirect hop with the headers Chromium sent and
// received (cookies included, from the ExtraInfo events) and the bodies ---
const har = process.env.HAR ? { entries: [], hops: new Map(), reqX: new Map(), respX: new Map(), bodies: [] } : null;
const nv = (o) => Object.entries(o || {}).flatMap(([name, v]) => String(v).split('\n').map((value) => ({ name, value })));
const proto = (p) => (p ? p.toUpperCase().replace(/^H2$/, 'HTTP/2.0') : 'HTTP/1.1');
function recordHAR(send, on) {
  const push = (m, id, v) => m.set(id, [...(m.get(id) || []), v]);
  const respond = (e, r, ts) => {
    Object.assign(e.response, { status: r.status, statusText: r.statusText || '', httpVersion: proto(r.protocol), headers: nv(r.headers) });
    e.response.content.mimeType = r.mimeType || '';
    const loc = Object.entries(r.headers || {}).find(([k]) => k.toLowerCase() === 'location');
    e.response.redirectURL = loc ? String(loc[1]) : '';
    e.time = Math.max(0, (ts - e._ts) * 1000);
  };
  on('Network.requestWillBeSent', (p) => {
    if (!/^https?:/.test(p.request.url)) return;
    const hops = har.hops.get(p.requestId) || [];
    if (p.redirectResponse && hops.length) respond(hops[hops.length - 1], p.redirectResponse, p.timestamp);
    const u = new URL(p.request.url);
    const e = {
      _ts: p.timestamp, startedDateTime: new Date(p.wallTime * 1000).toISOString(), time: 0,
      request: { method: p.request.method, url: p.request.url, httpVersion: 'HTTP/1.1', headers: nv(p.request.headers),
        queryString: [...u.searchParams].map(([name, value]) => ({ name, value })), cookies: [], headersSize: -1,
        bodySize: p.request.postData ? Buffer.byteLength(p.request.postData) : 0 },
      response: { status: 0, statusText: '', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: '' }, redirectURL: '', headersSize: -1, bodySize: -1 },
      cache: {}, timings: { send: 0, wait: 0, receive: 0 },
    };
    if (p.request.postData) {
      const ct = Object.entries(p.request.headers).find(([k]) => k.toLowerCase() === 'content-type');
      e.request.postData = { mimeType: ct ? ct[1] : '', text: p.request.postData };
    }
    har.hops.set(p.requestId, [...hops, e]);
    har.entries.push(e);
  });
  on('Network.requestWillBeSentExtraInfo', (p) => push(har.reqX, p.requestId, p.headers));
  on('Network.responseReceivedExtraInfo', (p) => push(har.respX, p.requestId, p.headers));
  on('Network.responseReceived', (p) => {
    const hops = har.hops.get(p.requestId);
    if (hops) respond(hops[hops.length - 1], p.response, p.timestamp);
  });
  on('Network.loadingFinished', (p) => {
    const hops = har.hops.get(p.requestId);
    if (!hops) return;
    const e = hops[hops.length - 1];
    e.response.bodySize = p.encodedDataLength;
    har.bodies.push(send('Network.getResponseBody', { requestId: p.requestId }).then((b) => {
      e.response.content.size = b.base64Encoded ? Buffer.from(b.body, 'base64').length : Buffer.byteLength(b.body);
      e.response.content.text = b.body;
      if (b.base64Encoded) e.response.content.encoding = 'base64';
    }, () => {}));
  });
  on('Network.loadingFailed', (p) => {
    const hops = har.hops.get(p.requestId);
    if (hops) hops[hops.length - 1]._error = p.errorText;
  });
}

// writeHAR pairs each hop with the headers Chromium put on the wire (the
// ExtraInfo events come one per hop, in order) and writes HAR 1.2.
async function writeHAR(file) {
  await Promise.all(har.bodies);
  for (const [id, hops] of har.hops) {
    const rq = har.reqX.get(id) || [], rs = har.respX.get(id) || [];
    hops.forEach((e, i) => {
      if (rq.length === hops.length) e.request.headers = nv(rq[i]);
      if (rs.length === hops.length && e.response.status) e.response.headers = nv(rs[i]);
    });
  }
  const entries = har.entries.sort((x, y) => x._ts - y._ts).map(({ _ts, ...e }) => e);
  writeFileSync(file, JSON.stringify({ log: { version: '1.2', creator: { name: 'traceaudit rules/testdata/rp-modules/rec.mjs', version: '1' }, pages: [], entries } }, null, 1) + '\n');
}

async function tab() {
  const t = await (await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: 'PUT' })).json();
  const ws = new WebSocket(t.webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let id = 0;
  const pending = new Map();
  const handlers = new Map();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
    for (const f of handlers.get(m.method) || []) f(m.params);
  };
  const send = (method, params = {}) => new Promise((r, j) => {
    const n = ++id;
    pending.set(n, (m) => (m.error ? j(new Error(`${method}: ${m.error.message}`)) : r(m.result)));
    ws.send(JSON.stringify({ id: n, method, params }));
  });
  const evaluate = async (expr) => (await send('Runtime.evaluate', { expression: expr, returnByValue: true })).result.value;
  const waitFor = async (expr, what) => {
    for (let i = 0; i < 100; i++) {
      try { if (await evaluate(expr)) return; } catch {}
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; at ${await evaluate('location.href')}`);
  };
  if (rp === 'o2p') {
    // oauth2-proxy's pages load its Bulma and Font Awesome style sheets
    // and fonts from /oauth2/static/ (some 400 KB): kept off the wire so
    // the capture stays small; the pages themselves are untouched.
    await send('Network.enable');
    await send('Network.setBlockedURLs', { urls: ['*/oauth2/static/*'] });
  }
  const on = (m, f) => handlers.set(m, [...(handlers.get(m) || []), f]);
  if (har) {
    recordHAR(send, on);
    await send('Network.enable');
  }
  return { send, evaluate, waitFor, on, close: () => ws.close() };
}

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const signIn = (t) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.body.innerText.slice(0, 300).replace(/\\s+/g, ' ')`);
const signedIn = rp === 'modoidc' ? `location.href === '${START}' && !!document.getElementById('who')`
  : `location.href === '${START}' && document.readyState === 'complete' && document.body.innerText.trim().length > 0`;
const cbPath = new URL(SENT_CALLBACK).pathname;
const refused = `location.pathname === '${cbPath}' && document.readyState === 'complete' && document.body.innerText.trim().length > 0`;

let ok = false;
try {
  const a = await tab();
  const seen = [];
  a.on('Network.requestWillBeSent', (ev) => seen.push(ev.request.url));
  await a.send('Network.enable');
  if (story === 'double-callback') {
    // Hold the callback when the provider redirects to it, so it can be
    // sent twice with the state cookie still set.
    await a.send('Fetch.enable', { patterns: [{ urlPattern: `${CALLBACK}*`, requestStage: 'Request' }] });
  }
  await a.send('Page.navigate', { url: START });
  if (story === 'redirect-mismatch') {
    await a.waitFor(`location.pathname === '/auth' && document.readyState === 'complete' && document.body.innerText.length > 0`, "the provider's error page");
    console.log(`browser: ${await page(a)}`);
    ok = true;
    throw null;
  }
  await a.waitFor(atLoginForm, 'the login form in tab A');
  let b;
  if (story === 'two-tabs') {
    b = await tab();
    await b.send('Page.navigate', { url: START });
    await b.waitFor(atLoginForm, 'the login form in tab B');
  }
  if (story === 'lost-state') {
    const { cookies } = await a.send('Network.getAllCookies');
    const names = cookies.filter((c) => /^(mod_auth_openidc_state_|_oauth2_proxy_csrf)/.test(c.name)).map((c) => c.name);
    if (names.length === 0) throw new Error('no state cookie to delete');
    for (const name of names) await a.send('Network.deleteCookies', { name, domain: 'localhost' });
    console.log(`browser: deleted ${names.length} state cookie(s)`);
  }
  await sleep(300);
  if (story === 'double-callback') {
    const paused = new Promise((r) => a.on('Fetch.requestPaused', r));
    await signIn(a);
    const p = await paused;
    console.log('browser: callback held');
    // The same callback again, from a second tab with the same cookies.
    const c = await tab();
    await c.send('Fetch.enable', { patterns: [{ urlPattern: `${CALLBACK}*`, requestStage: 'Request' }] });
    const paused2 = new Promise((r) => c.on('Fetch.requestPaused', r));
    const nav = c.send('Page.navigate', { url: p.request.url });
    const p2 = await paused2;
    // Both released at once: each carries the state cookie, neither the
    // session the other is about to set.
    await Promise.all([c.send('Fetch.continueRequest', { requestId: p2.requestId }),
      a.send('Fetch.continueRequest', { requestId: p.requestId })]);
    await nav;
    await sleep(1500);
    console.log(`browser (second): ${await page(c)}`);
    console.log(`browser (first): ${await page(a)}`);
    ok = true;
    throw null;
  }
  await signIn(a);
  if (story === 'two-tabs') {
    // oauth2-proxy keeps one _oauth2_proxy_csrf cookie (unless
    // cookie-csrf-per-request), which B's start overwrote.
    await a.waitFor(`(${signedIn}) || (${refused})`, 'the signed-in page or the refused callback');
  } else if (story === 'clean' || story === 'replay') {
    await a.waitFor(signedIn, 'the signed-in page');
  } else {
    await a.waitFor(refused, 'the refused callback');
  }
  console.log(`browser: ${await page(a)}`);
  if (story === 'two-tabs') {
    await sleep(300);
    await signIn(b);
    await sleep(1500);
    console.log(`browser (tab B): ${await page(b)}`);
  }
  if (story === 'replay') {
    // The callback URL the provider redirected to, loaded again.
    const cb = seen.find((u) => u.startsWith(CALLBACK + '?'));
    if (!cb) throw new Error(`no callback among ${seen.join(' ')}`);
    await sleep(500);
    await a.send('Page.navigate', { url: cb });
    // mod_auth_openidc sends a signed-in browser back to the page it
    // started from; without that, the RP refuses the callback.
    await sleep(1000);
    await a.waitFor(`document.readyState === 'complete' && document.body.innerText.trim().length > 0`, 'the replayed callback');
    console.log(`browser (replay): ${await page(a)}`);
  }
  ok = true;
  await sleep(500);
} catch (e) {
  if (e !== null) console.error(e);
} finally {
  if (har && ok) await writeHAR(process.env.HAR);
  const exited = new Promise((r) => chrome.once('exit', r));
  chrome.kill();
  await Promise.race([exited, sleep(3000)]);
  try { rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch {}
  try { process.kill(-rpProc.pid, 'SIGTERM'); } catch {}
  await sleep(500);
  if (rp === 'modoidc') {
    try { console.log(readFileSync(join(work, 'error.log'), 'utf8').split('\n').filter((l) => /auth_openidc|error/.test(l)).map((l) => l.replace(/^\[[^\]]*\] /, '')).slice(-8).join('\n')); } catch {}
  }
  rmSync(work, { recursive: true, force: true });
  opServer.close();
  process.exit(ok ? 0 : 1);
}
