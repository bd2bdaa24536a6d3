// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh (which captures the loopback interface beside
// it): Ory Hydra as the OAuth 2.0 / OpenID provider (public
// http://127.0.0.1:4444, admin http://127.0.0.1:4445, started by gen.sh
// with DSN=memory), the login and consent app Hydra sends the browser to
// (below, http://127.0.0.1:4896, speaking Hydra's admin API), a web app
// signing in (below, http://localhost:4897) and a headless Chromium driven
// over the DevTools protocol (../allauth/cdphar.mjs). All secrets are
// test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   clean              one sign-in: login, consent, callback, the app's
//                      redemption with its PKCE verifier
//   redirect-mismatch  the app sends a redirect_uri the client does not
//                      register: Hydra sends the browser to its error page
//                      (/oauth2/fallbacks/error, URLS_ERROR not set)
//   consent-denied     the consent app rejects the request (the user said
//                      no): Hydra redirects to the app with access_denied
//   code-reuse         the app's callback loaded again after the sign-in:
//                      the app redeems the code again, Hydra refuses it
//   two-tabs           a sign-in started in tab A, then in tab B, then
//                      finished in tab A: Hydra keeps one login CSRF cookie
//                      per client (ory_hydra_login_csrf_dev_…), which B's
//                      replaced, and refuses A's login with
//                      request_forbidden at the app's callback
//   pkce-mismatch      the app's page in tab B asks for /login without
//                      following the redirect (a script, a prefetch of the
//                      sign-in link): the app starts a sign-in that never
//                      reaches Hydra and overwrites its one verifier
//                      cookie; tab A's code is redeemed with that verifier
//                      and Hydra refuses the redemption
// Prints what the browser saw; exits non-zero when the story did not happen.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { browser, sleep } from './cdphar.mjs';

const [story, out] = process.argv.slice(2);
if (!['clean', 'redirect-mismatch', 'consent-denied', 'code-reuse', 'two-tabs', 'pkce-mismatch'].includes(story) || !out) throw new Error('usage: rec.mjs STORY OUT.har');
const HYDRA = 'http://127.0.0.1:4444', ADMIN = 'http://127.0.0.1:4445';
const LOGIN_APP = 'http://127.0.0.1:4896', APP = 'http://localhost:4897';
const CLIENT = 'web-app', SECRET = 'test-only-web-app-client-secret';

const admin = async (method, path, body) => {
  const r = await fetch(`${ADMIN}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(`admin ${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
};
// The client, registered as `hydra create oauth2-client` would.
await admin('DELETE', `/admin/clients/${CLIENT}`).catch(() => {});
await admin('POST', '/admin/clients', {
  client_id: CLIENT, client_secret: SECRET, client_name: 'Web App', grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'], scope: 'openid offline_access profile', redirect_uris: [`${APP}/callback`],
  token_endpoint_auth_method: 'client_secret_post',
});

// --- the login and consent app ---
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head><body>${body}</body></html>`;
const loginApp = createServer(async (req, res) => {
  const u = new URL(req.url, LOGIN_APP);
  let body = '';
  for await (const c of req) body += c;
  const form = new URLSearchParams(body);
  const send = (status, headers, text) => { res.writeHead(status, headers); res.end(text); };
  try {
    if (u.pathname === '/login' && req.method === 'GET') {
      const ch = u.searchParams.get('login_challenge');
      await admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${encodeURIComponent(ch)}`);
      return send(200, { 'Content-Type': 'text/html' }, page('Sign in', `<form method="POST" action="/login"><input type="hidden" name="challenge" value="${ch}"><input id="username" name="username"><input id="password" name="password" type="password"><button type="submit">Sign in</button></form>`));
    }
    if (u.pathname === '/login') {
      const r = await admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(form.get('challenge'))}`, { subject: 'alice', remember: false });
      return send(302, { Location: r.redirect_to }, '');
    }
    if (u.pathname === '/consent' && req.method === 'GET') {
      const ch = u.searchParams.get('consent_challenge');
      const c = await admin('GET', `/admin/oauth2/auth/requests/consent?consent_challenge=${encodeURIComponent(ch)}`);
      return send(200, { 'Content-Type': 'text/html' }, page('Consent', `<form method="POST" action="/consent"><input type="hidden" name="challenge" value="${ch}"><p>${c.client.client_name} asks for ${c.requested_scope.join(', ')}</p><button id="allow" name="decision" value="allow">Allow</button><button id="deny" name="decision" value="deny">Deny</button></form>`));
    }
    if (u.pathname === '/consent') {
      const ch = encodeURIComponent(form.get('challenge'));
      const r = form.get('decision') === 'allow'
        ? await admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${ch}`, { grant_scope: ['openid', 'offline_access', 'profile'], remember: false })
        : await admin('PUT', `/admin/oauth2/auth/requests/consent/reject?consent_challenge=${ch}`, { error: 'access_denied', error_description: 'The resource owner denied the request' });
      return send(302, { Location: r.redirect_to }, '');
    }
    send(404, {}, '');
  } catch (e) {
    console.log(`login app: ${e.message}`);
    send(500, { 'Content-Type': 'text/plain' }, 'login app error');
  }
}).listen(4896, '127.0.0.1');

// --- the web app: a cookie per sign-in for its state, one cookie slot for
// the PKCE verifier (the second tab's sign-in overwrites the first's) ---
const b64 = (b) => b.toString('base64url');
const app = createServer(async (req, res) => {
  const u = new URL(req.url, APP);
  const cookies = Object.fromEntries((req.headers.cookie || '').split('; ').filter(Boolean).map((c) => c.split('=')));
  if (u.pathname === '/login') {
    const state = b64(randomBytes(16)), verifier = b64(randomBytes(32));
    const redirect = story === 'redirect-mismatch' ? `${APP}/signin-oidc` : `${APP}/callback`;
    const q = new URLSearchParams({ client_id: CLIENT, response_type: 'code', scope: 'openid offline_access profile', redirect_uri: redirect, state,
      code_challenge: b64(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256' });
    res.writeHead(302, { Location: `${HYDRA}/oauth2/auth?${q}`, 'Set-Cookie': [`app_state_${state}=1; Path=/; HttpOnly; SameSite=Lax`, `app_verifier=${verifier}; Path=/; HttpOnly; SameSite=Lax`] });
    return res.end();
  }
  if (u.pathname === '/callback') {
    if (u.searchParams.get('error')) {
      res.writeHead(403, { 'Content-Type': 'text/html' });
      return res.end(page('Error', `<h1>Sign-in failed</h1><p>${u.searchParams.get('error')}: ${u.searchParams.get('error_description')}</p>`));
    }
    if (!cookies[`app_state_${u.searchParams.get('state')}`]) {
      res.writeHead(400, { 'Content-Type': 'text/html' });
      return res.end(page('Error', '<h1>Sign-in failed</h1><p>state mismatch</p>'));
    }
    const r = await fetch(`${HYDRA}/oauth2/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: u.searchParams.get('code'), redirect_uri: `${APP}/callback`,
        client_id: CLIENT, client_secret: SECRET, code_verifier: cookies.app_verifier }),
    });
    const body = await r.json();
    console.log(`app: token request answered ${r.status} ${body.error || ''} ${body.error_description || ''}`);
    if (!r.ok) {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      return res.end(page('Error', `<h1>Sign-in failed</h1><p>The token request failed: ${body.error}: ${body.error_description}</p>`));
    }
    res.writeHead(302, { Location: '/', 'Set-Cookie': 'app_session=test-only-session; Path=/; HttpOnly; SameSite=Lax' });
    return res.end();
  }
  if (u.pathname === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(page('Home', '<p id="who">Signed in.</p>'));
  }
  res.writeHead(404);
  res.end();
}).listen(4897, '127.0.0.1');

// --- the browser ---
const chromium = await browser();
const tab = chromium.tab;
const show = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + (document.body?.innerText || '').replace(/\\s+/g, ' ').slice(0, 300)`);
const atLogin = `location.origin === '${LOGIN_APP}' && !!document.getElementById('username')`;
const atConsent = `location.origin === '${LOGIN_APP}' && !!document.getElementById('allow')`;
async function signIn(t, decision = 'allow') {
  await t.waitFor(atLogin, 'the login form');
  await sleep(200);
  await t.evaluate(`document.getElementById('username').value='alice'; document.getElementById('password').value='test-only-password'; document.forms[0].submit(); true`);
  await t.waitFor(atConsent, 'the consent form');
  await sleep(200);
  await t.evaluate(`document.getElementById('${decision}').click(); true`);
}
const atHome = `location.href === '${APP}/' && !!document.getElementById('who')`;
const atError = `document.readyState === 'complete' && /Error/.test(document.title)`;

let ok = false;
try {
  const a = await tab();
  switch (story) {
  case 'clean':
  case 'code-reuse':
    await a.send('Page.navigate', { url: `${APP}/login` });
    await signIn(a);
    await a.waitFor(atHome, 'the app\'s home page');
    console.log(`browser: ${await show(a)}`);
    if (story === 'code-reuse') {
      await a.send('Page.navigate', { url: chromium.urls().find((x) => x.startsWith(`${APP}/callback?`)) });
      await a.waitFor(atError, 'the app\'s error page');
      console.log(`browser, callback again: ${await show(a)}`);
    }
    break;
  case 'redirect-mismatch':
    await a.send('Page.navigate', { url: `${APP}/login` });
    await a.waitFor(atError, 'Hydra\'s error page');
    console.log(`browser: ${await show(a)}`);
    break;
  case 'consent-denied':
    await a.send('Page.navigate', { url: `${APP}/login` });
    await signIn(a, 'deny');
    await a.waitFor(atError, 'the app\'s error page');
    console.log(`browser: ${await show(a)}`);
    break;
  case 'two-tabs':
  case 'pkce-mismatch': {
    // Tab A starts; tab B starts and overwrites the one verifier cookie
    // (and, when it reaches Hydra, Hydra's login CSRF cookie); tab A
    // finishes.
    await a.send('Page.navigate', { url: `${APP}/login` });
    await a.waitFor(atLogin, 'the login form in tab A');
    const b = await tab();
    if (story === 'pkce-mismatch') {
      // The app's page in tab B asks for /login without following the
      // redirect (as a script or a prefetch of the sign-in link would):
      // the app sets a new verifier cookie, Hydra never hears of it.
      await b.send('Page.navigate', { url: `${APP}/` });
      await b.waitFor(`!!document.getElementById('who')`, 'the app\'s page in tab B');
      await b.evaluate(`fetch('/login', { redirect: 'manual', credentials: 'include' }).then(() => true)`);
    } else {
      await b.send('Page.navigate', { url: `${APP}/login` });
      await b.waitFor(atLogin, 'the login form in tab B');
    }
    if (story === 'two-tabs') {
      await a.evaluate(`document.getElementById('username').value='alice'; document.getElementById('password').value='test-only-password'; document.forms[0].submit(); true`);
      await a.waitFor(atError, 'the app\'s error page in tab A');
      console.log(`browser, tab A: ${await show(a)}`);
      break;
    }
    await signIn(a);
    await a.waitFor(atError, 'the app\'s error page in tab A');
    console.log(`browser, tab A: ${await show(a)}`);
    break;
  }
  }
  await sleep(500);
  const har = await chromium.har('traceaudit rules/testdata/hydra/rec.mjs');
  // The tests' expectations (rules/rulestest: "want RULE PATTERN" in an
  // entry's comment).
  const callbacks = har.log.entries.filter((e) => e.request.url.startsWith(`${APP}/callback?`));
  switch (story) {
  case 'redirect-mismatch':
    har.log.entries.find((e) => e.request.url.startsWith(`${HYDRA}/oauth2/auth?`)).comment = 'want redirect-uri-mismatch "Ory Hydra rejected the redirect URI"';
    break;
  case 'code-reuse':
    callbacks.at(-1).comment = 'want code-reuse';
    break;
  case 'two-tabs':
    callbacks.at(-1).comment = 'want multi-tab-race "Ory Hydra refused sign-in #1 itself"';
    break;
  case 'pkce-mismatch':
    callbacks.at(-1).comment = 'want trace-quality';
    break;
  }
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
} finally {
  await chromium.close();
  loginApp.close();
  app.close();
  process.exit(ok ? 0 : 1);
}
