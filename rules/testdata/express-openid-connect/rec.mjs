// Runs one sign-in story through real software, for gen.sh (which captures
// it with tcpdump on lo): panva's oidc-provider as the OpenID provider
// (http://127.0.0.1:4701), an Express app signing in with
// express-openid-connect (http://localhost:4702, callback /callback) and a
// headless Chromium driven over the DevTools protocol (Node's built-in
// WebSocket, no driver library). Versions are pinned by package.json and
// package-lock.json. All secrets are test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY
//   clean       sign in once
//   two-tabs    sign-in started in tab A, then in tab B (express-openid-connect
//               keeps one auth_verification cookie: B's overwrites A's), then
//               finished in tab A: the app refuses A's callback
//   lost-cookie sign-in started, the app's auth_verification cookies deleted
//               (as a browser dropping them would), then finished: the app
//               refuses the callback
// Prints what the browser saw; exits non-zero when the story did not happen.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import eoc from 'express-openid-connect';
import Provider from 'oidc-provider';

const story = process.argv[2];
if (!['clean', 'two-tabs', 'lost-cookie'].includes(story)) throw new Error(`unknown story ${story}`);
const OP = 'http://127.0.0.1:4701';
const APP = 'http://localhost:4702';
const USER = 'alice', PASSWORD = 'test-only-password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: 'eoc-app', client_secret: 'test-only-client-secret-for-eoc-app',
    redirect_uris: [`${APP}/callback`], post_logout_redirect_uris: [`${APP}/`],
    grant_types: ['authorization_code'], response_types: ['code'],
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: 'Alice (test user)' }; } };
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
const opServer = provider.listen(4701, '127.0.0.1');

// --- the app: express-openid-connect's documented minimal setup ---
const app = express();
app.use(eoc.auth({
  issuerBaseURL: OP, baseURL: APP, clientID: 'eoc-app',
  clientSecret: 'test-only-client-secret-for-eoc-app',
  secret: 'test-only-session-secret-of-the-eoc-app-0123456789',
  authRequired: false, idpLogout: false,
  authorizationParams: { response_type: 'code', scope: 'openid profile' },
}));
app.get('/', (req, res) => {
  res.type('html').send(req.oidc.isAuthenticated()
    ? `<!DOCTYPE html><title>Home</title><p id="who">Signed in as ${req.oidc.user.sub}</p>`
    : '<!DOCTYPE html><title>Home</title><a href="/login">Sign in</a>');
});
// No error handler of the app's own: Express's default (finalhandler) answers.
const appServer = app.listen(4702, '127.0.0.1');

// --- the browser ---
const profile = mkdtempSync(join(tmpdir(), 'eoc-chromium-'));
const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
  '--host-resolver-rules=MAP localhost 127.0.0.1', `--user-data-dir=${profile}`,
  '--remote-debugging-port=0', 'about:blank'], { stdio: 'ignore' });
let port;
for (let i = 0; i < 100 && !port; i++) {
  await sleep(100);
  try { port = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]; } catch {}
}
if (!port) throw new Error('chromium did not start');

async function tab() {
  const t = await (await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: 'PUT' })).json();
  const ws = new WebSocket(t.webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); }
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
  return { send, evaluate, waitFor, close: () => ws.close() };
}

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const signIn = (t) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.body.innerText.slice(0, 200)`);

let ok = false;
try {
  const a = await tab();
  await a.send('Network.enable');
  await a.send('Page.navigate', { url: `${APP}/login` });
  await a.waitFor(atLoginForm, 'the login form in tab A');
  if (story === 'two-tabs') {
    const b = await tab();
    await b.send('Page.navigate', { url: `${APP}/login` });
    await b.waitFor(atLoginForm, 'the login form in tab B');
  }
  if (story === 'lost-cookie') {
    for (const name of ['auth_verification', '_auth_verification']) {
      await a.send('Network.deleteCookies', { name, domain: 'localhost' });
    }
  }
  await sleep(300);
  await signIn(a);
  if (story === 'clean') {
    await a.waitFor(`location.href === '${APP}/' && !!document.getElementById('who')`, 'the signed-in home page');
  } else {
    await a.waitFor(`location.pathname === '/callback' && /BadRequestError/.test(document.body.innerText)`, 'the refused callback');
  }
  console.log(`browser: ${await page(a)}`);
  ok = true;
  await sleep(500);
} finally {
  const exited = new Promise((r) => chrome.once('exit', r));
  chrome.kill();
  await Promise.race([exited, sleep(3000)]);
  rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  opServer.close();
  appServer.close();
  process.exit(ok ? 0 : 1);
}
