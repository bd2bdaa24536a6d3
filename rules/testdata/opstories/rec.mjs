// Runs one sign-in story against a real OpenID provider started by the
// caller's gen.sh and writes what the browser saw as a HAR (gen.sh captures
// the loopback with tcpdump beside it). Shared by the recordings of
// providers that ship their own login and consent pages
// (../lemonldap/gen.sh, ../glewlwyd/gen.sh): what differs per provider —
// its issuer, its client, how its login and consent pages are filled in,
// the wants written into the HAR — is in the module named on the command
// line (PROVIDER.mjs beside gen.sh); the web app signing in and the stories
// are here. The browser is a headless Chromium driven over the DevTools
// protocol (../allauth/cdphar.mjs). All secrets are test-only values.
//
// The web app (http://localhost:PORT, the module's appPort) reads the
// provider's discovery document, keeps a state cookie per sign-in and one
// cookie slot for the PKCE verifier (a second /login overwrites it), and
// redeems the code at its callback (/callback) on its back channel with
// the module's client_secret_basic credentials; it answers errors with a
// page titled "Error" that quotes the provider's error.
//
// Usage: node --experimental-websocket rec.mjs PROVIDER.mjs STORY OUT.har
//   clean              one sign-in: login, consent, callback, redemption
//   code-reuse         the callback URL loaded again after the sign-in: the
//                      app redeems the code a second time
//   redirect-mismatch  the app sends a redirect_uri the client does not
//                      register (/signin-oidc)
//   two-tabs           sign-ins started in tab A and then in tab B (B's
//                      replaces the one verifier cookie), A finished first:
//                      A's code is redeemed with B's verifier; then B
//                      finishes and signs in
//   denied             the user refuses at the provider's consent page
//   bad-secret         the app runs with a client secret the provider does
//                      not have
//   pkce-mismatch      the app's page in tab B asks for /login without
//                      following the redirect (a script, a prefetch): the
//                      app starts a sign-in that never reaches the
//                      provider and overwrites the verifier cookie; tab
//                      A's code is redeemed with that verifier
//   code-expired       the app's callback waits (the module's
//                      expiredDelay) before redeeming, past the code
//                      lifetime gen.sh configured
//   pkce-missing       the app redeems the code without a code_verifier
//                      (its verifier cookie did not come back)
//   refresh-reused     after the sign-in the app's /refresh page is
//                      loaded twice; the app refreshes each time with the
//                      refresh token of the sign-in, never keeping the one
//                      a rotating provider returns: the second refresh
//                      presents a token the first one used up
// Prints what the browser saw; exits non-zero when the story did not
// happen.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { browser, sleep } from '../allauth/cdphar.mjs';
import { annotate } from './wants.mjs';

const stories = ['clean', 'code-reuse', 'redirect-mismatch', 'two-tabs', 'denied', 'bad-secret', 'pkce-mismatch', 'code-expired', 'pkce-missing', 'refresh-reused'];
const [modPath, story, out] = process.argv.slice(2);
if (!modPath || !stories.includes(story) || !out) throw new Error('usage: rec.mjs PROVIDER.mjs STORY OUT.har');
const op = await import(resolve(modPath));
const APP = `http://localhost:${op.appPort}`;
const CALLBACK = `${APP}/callback`;
const SECRET = story === 'bad-secret' ? 'test-only-rotated-secret-the-provider-does-not-have' : op.client.secret;
const discovery = await (await fetch(`${op.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).json();

// --- the web app ---
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head><body>${body}</body></html>`;
const esc = (s) => String(s).replace(/[<>&"]/g, '');
const b64 = (b) => b.toString('base64url');
const basic = `Basic ${Buffer.from(`${encodeURIComponent(op.client.id)}:${encodeURIComponent(SECRET)}`).toString('base64')}`;
// The refresh token of the sign-in, the only one the app keeps.
let refreshToken = '';
const app = createServer(async (req, res) => {
  const u = new URL(req.url, APP);
  const cookies = Object.fromEntries((req.headers.cookie || '').split('; ').filter(Boolean).map((c) => c.split('=')));
  if (u.pathname === '/login') {
    const state = b64(randomBytes(16)), verifier = b64(randomBytes(32)), nonce = b64(randomBytes(16));
    const redirect = story === 'redirect-mismatch' ? `${APP}/signin-oidc` : CALLBACK;
    const q = new URLSearchParams({ client_id: op.client.id, response_type: 'code', scope: op.scope || 'openid profile', redirect_uri: redirect, state, nonce,
      code_challenge: b64(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256' });
    res.writeHead(302, { Location: `${discovery.authorization_endpoint}?${q}`, 'Set-Cookie': [`app_state_${state}=1; Path=/; HttpOnly; SameSite=Lax`, `app_verifier=${verifier}; Path=/; HttpOnly; SameSite=Lax`] });
    return res.end();
  }
  if (u.pathname === '/callback') {
    if (u.searchParams.get('error')) {
      res.writeHead(403, { 'Content-Type': 'text/html' });
      return res.end(page('Error', `<h1>Sign-in failed</h1><p>${esc(u.searchParams.get('error'))}: ${esc(u.searchParams.get('error_description') || '')}</p>`));
    }
    if (!cookies[`app_state_${u.searchParams.get('state')}`]) {
      res.writeHead(400, { 'Content-Type': 'text/html' });
      return res.end(page('Error', '<h1>Sign-in failed</h1><p>state mismatch</p>'));
    }
    if (story === 'code-expired') await sleep(op.expiredDelay);
    const form = { grant_type: 'authorization_code', code: u.searchParams.get('code'), redirect_uri: CALLBACK, code_verifier: cookies.app_verifier || '' };
    if (story === 'pkce-missing') delete form.code_verifier;
    const r = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic },
      body: new URLSearchParams(form),
    });
    const text = await r.text();
    let body = {};
    try { body = JSON.parse(text); } catch { body = { error: `HTTP ${r.status}` }; }
    console.log(`app: token request answered ${r.status} ${body.error || ''} ${body.error_description || ''}`);
    if (!r.ok || !body.access_token) {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      return res.end(page('Error', `<h1>Sign-in failed</h1><p>The token request failed: ${esc(body.error)}: ${esc(body.error_description || '')}</p>`));
    }
    refreshToken ||= body.refresh_token || '';
    res.writeHead(302, { Location: '/', 'Set-Cookie': 'app_session=test-only-session; Path=/; HttpOnly; SameSite=Lax' });
    return res.end();
  }
  if (u.pathname === '/refresh') {
    const r = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    const text = await r.text();
    let body = {};
    try { body = JSON.parse(text); } catch { body = { error: `HTTP ${r.status}` }; }
    console.log(`app: refresh request answered ${r.status} ${body.error || ''} ${body.error_description || ''}`);
    if (!r.ok || !body.access_token) {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      return res.end(page('Error', `<h1>Session renewal failed</h1><p>The refresh request failed: ${esc(body.error)}: ${esc(body.error_description || '')}</p>`));
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(page('Home', '<p id="who">Signed in.</p><p id="refreshed">Session renewed.</p>'));
  }
  if (u.pathname === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(page('Home', '<p id="who">Signed in.</p>'));
  }
  res.writeHead(404);
  res.end();
}).listen(op.appPort, '127.0.0.1');

// --- the browser ---
const chromium = await browser();
const tab = chromium.tab;
const show = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + (document.body?.innerText || '').replace(/\\s+/g, ' ').slice(0, 300)`);
const atHome = `location.href === '${APP}/' && !!document.getElementById('who')`;
const atAppError = `location.origin === '${APP}' && document.readyState === 'complete' && /Error/.test(document.title)`;

let ok = false;
try {
  const a = await tab();
  switch (story) {
  case 'clean':
  case 'code-reuse':
  case 'bad-secret':
  case 'code-expired':
  case 'pkce-missing':
  case 'refresh-reused':
    await a.send('Page.navigate', { url: `${APP}/login` });
    await op.login(a);
    await op.consent(a, 'allow');
    if (story === 'bad-secret' || story === 'code-expired' || story === 'pkce-missing') {
      await a.waitFor(atAppError, 'the app\'s error page', 300);
      console.log(`browser: ${await show(a)}`);
      break;
    }
    await a.waitFor(atHome, 'the app\'s home page');
    console.log(`browser: ${await show(a)}`);
    if (story === 'code-reuse') {
      await a.send('Page.navigate', { url: chromium.urls().find((x) => x.startsWith(`${CALLBACK}?`)) });
      await a.waitFor(atAppError, 'the app\'s error page');
      console.log(`browser, callback again: ${await show(a)}`);
    }
    if (story === 'refresh-reused') {
      await a.send('Page.navigate', { url: `${APP}/refresh` });
      await a.waitFor(`location.href === '${APP}/refresh' && !!document.getElementById('refreshed')`, 'the app\'s renewed page');
      console.log(`browser, first refresh: ${await show(a)}`);
      await a.send('Page.navigate', { url: `${APP}/refresh?again` });
      await a.waitFor(atAppError, 'the app\'s error page');
      console.log(`browser, second refresh: ${await show(a)}`);
    }
    break;
  case 'redirect-mismatch':
    await a.send('Page.navigate', { url: `${APP}/login` });
    await op.refusedRedirect(a);
    console.log(`browser: ${await show(a)}`);
    break;
  case 'denied':
    await a.send('Page.navigate', { url: `${APP}/login` });
    await op.login(a);
    await op.consent(a, 'deny');
    await op.denied(a, atAppError);
    console.log(`browser: ${await show(a)}`);
    break;
  case 'two-tabs':
  case 'pkce-mismatch': {
    await a.send('Page.navigate', { url: `${APP}/login` });
    await op.atLogin(a, 'tab A');
    const b = await tab();
    if (story === 'pkce-mismatch') {
      await b.send('Page.navigate', { url: `${APP}/` });
      await b.waitFor(`!!document.getElementById('who')`, 'the app\'s page in tab B');
      await b.evaluate(`fetch('/login', { redirect: 'manual', credentials: 'include' }).then(() => true)`);
    } else {
      await b.send('Page.navigate', { url: `${APP}/login` });
      await op.atLogin(b, 'tab B');
    }
    await op.login(a);
    await op.consent(a, 'allow');
    await a.waitFor(atAppError, 'the app\'s error page in tab A');
    console.log(`browser, tab A: ${await show(a)}`);
    if (story === 'two-tabs') {
      await op.resume(b);
      await b.waitFor(atHome, 'the app\'s home page in tab B');
      console.log(`browser, tab B: ${await show(b)}`);
    }
    break;
  }
  }
  await sleep(500);
  const har = await chromium.har(`traceaudit rules/testdata/opstories/rec.mjs (${op.name})`);
  // The bodies of the provider's style sheets, scripts, images and fonts
  // are left out (their entries, status and headers stay): they hold
  // nothing of the sign-in and were most of each HAR's size (a portal's
  // jQuery, Bootstrap, icon fonts).
  for (const e of har.log.entries) {
    // An answer with no body (Glewlwyd's 403 to an unregistered redirect
    // URI) is shown by Chromium as its own error page, which
    // Network.getResponseBody then returns: the wire carried nothing.
    if (e.response.headers.some((h) => h.name.toLowerCase() === 'content-length' && h.value.trim() === '0')) {
      e.response.content = { size: 0, mimeType: e.response.content.mimeType || '' };
    }
    if (['script', 'stylesheet', 'image', 'font', 'media'].includes(e._resourceType) || /\.ico$/.test(new URL(e.request.url).pathname)) {
      if (e.response.content.text !== undefined) {
        delete e.response.content.text;
        e.response.content.comment = 'body left out by the recorder (a static file)';
      }
    }
  }
  annotate(har, op, story);
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
} finally {
  await chromium.close();
  app.close();
  process.exit(ok ? 0 : 1);
}
