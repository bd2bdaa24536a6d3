// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh: panva's oidc-provider (http://127.0.0.1:4871,
// its own endpoints: /auth, /request for pushed authorization requests,
// /token, discovery at /.well-known/openid-configuration) and a browser app
// (http://localhost:4872, a public client with PKCE, served by this script)
// that reads the provider's discovery document, pushes its authorization
// request (RFC 9126) to the pushed_authorization_request_endpoint it names,
// sends the browser to the authorization_endpoint with client_id and
// request_uri alone, and redeems the code at the token_endpoint; a headless
// Chromium over the DevTools protocol (../allauth/cdphar.mjs) records it.
// Versions are pinned by package.json and package-lock.json. All secrets
// are test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   clean      one sign-in
//   refused    the app pushes a redirect_uri the client did not register
//              (/callback/ with a trailing slash): the provider refuses the
//              push (400 invalid_redirect_uri) and the app shows it
//   reused     the sign-in completes, then the browser loads the authorize
//              URL again: a request_uri is for one use (oidc-provider
//              consumes it), the provider refuses it
// Prints what the browser saw; exits non-zero when the story did not happen.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { browser, sleep } from './cdphar.mjs';

const [story, out] = process.argv.slice(2);
if (!['clean', 'refused', 'reused'].includes(story) || !out) throw new Error('usage: rec.mjs STORY OUT.har');
const OP = 'http://127.0.0.1:4871';
const APP = 'http://localhost:4872';
const USER = 'alice', PASSWORD = 'test-only-password';

const provider = new Provider(OP, {
  clients: [{
    client_id: 'par-spa', token_endpoint_auth_method: 'none', application_type: 'web',
    redirect_uris: [`${APP}/callback`], grant_types: ['authorization_code'], response_types: ['code'],
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'] },
  features: { devInteractions: { enabled: false } },
  clientBasedCORS: () => true,
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id }; } };
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
    result = { consent: { grantId: await grant.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
});
provider.on('pushed_authorization_request.saved', () => console.log('op: request pushed'));
provider.on('authorization.error', (ctx, err) => console.log(`op: authorization refused ${err.error}`));
provider.on('grant.success', () => console.log('op: token issued'));
const opServer = provider.listen(4871, '127.0.0.1');

// The app: one page that signs in (/) and one that redeems (/callback).
const start = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>App</title><link rel="icon" href="data:,"></head><body><p id="s">starting</p><script>
const b64 = (a) => btoa(String.fromCharCode(...new Uint8Array(a))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
(async () => {
  const conf = await (await fetch('${OP}/.well-known/openid-configuration')).json();
  const verifier = b64(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = b64(crypto.getRandomValues(new Uint8Array(12)));
  sessionStorage.setItem('tx', JSON.stringify({ verifier, state, token: conf.token_endpoint }));
  const res = await fetch(conf.pushed_authorization_request_endpoint, { method: 'POST', body: new URLSearchParams({
    client_id: 'par-spa', response_type: 'code', scope: 'openid', redirect_uri: '${APP}/callback${story === 'refused' ? '/' : ''}',
    state, code_challenge: challenge, code_challenge_method: 'S256' }) });
  const par = await res.json();
  if (!res.ok) { document.getElementById('s').textContent = 'push refused: ' + par.error; return; }
  document.getElementById('s').textContent = 'pushed';
  location.assign(conf.authorization_endpoint + '?' + new URLSearchParams({ client_id: 'par-spa', request_uri: par.request_uri }));
})();
</script></body></html>`;
const callback = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Callback</title><link rel="icon" href="data:,"></head><body><p id="s">redeeming</p><script>
(async () => {
  const q = new URLSearchParams(location.search);
  const tx = JSON.parse(sessionStorage.getItem('tx'));
  if (q.get('state') !== tx.state) { document.getElementById('s').textContent = 'state mismatch'; return; }
  const res = await fetch(tx.token, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code',
    code: q.get('code'), redirect_uri: '${APP}/callback', client_id: 'par-spa', code_verifier: tx.verifier }) });
  await res.text();
  document.getElementById('s').textContent = res.ok ? 'signed in' : 'refused ' + res.status;
  history.replaceState(null, '', '/signed-in');
})();
</script></body></html>`;
const appServer = createServer((req, res) => {
  const path = new URL(req.url, APP).pathname;
  res.setHeader('Cache-Control', 'no-store');
  if (path === '/' || path === '/callback') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(path === '/' ? start : callback);
    return;
  }
  res.writeHead(404); res.end();
}).listen(4872, '127.0.0.1');

const chromium = await browser();
let ok = false;
try {
  const a = await chromium.tab();
  await a.send('Page.navigate', { url: `${APP}/` });
  if (story === 'refused') {
    await a.waitFor(`document.getElementById('s')?.textContent.startsWith('push refused')`, 'the refused push');
  } else {
    await a.waitFor(`location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`, 'the login form');
    await a.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
      document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
    await a.waitFor(`document.getElementById('s')?.textContent === 'signed in'`, 'the signed-in callback page');
  }
  if (story === 'reused') {
    const authz = chromium.urls().find((u) => u.startsWith(`${OP}/auth?`));
    await a.send('Page.navigate', { url: authz });
    await sleep(1500);
  }
  console.log(`browser: ${await a.evaluate(`location.href + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 200)`)}`);
  await sleep(500);
  const har = await chromium.har('traceaudit rules/testdata/par-discovery/rec.mjs');
  // The test's expectation (rules/rulestest: "want RULE PATTERN" in an
  // entry's comment): the refused push names the redirect URI.
  const push = har.log.entries.find((e) => e.request.method === 'POST' && e.request.url === `${OP}/request`);
  if (story === 'refused' && push) push.comment = `want redirect-uri-mismatch "${APP}/callback/"`;
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
} finally {
  await chromium.close();
  opServer.close();
  appServer.close();
  process.exit(ok ? 0 : 1);
}
