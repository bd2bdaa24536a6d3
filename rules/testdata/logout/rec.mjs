// Runs one sign-out story through real software and writes what the browser
// saw as a HAR, for gen.sh (which also captures the loopback with tcpdump
// and keeps the TLS keys of both sides): panva's oidc-provider over HTTPS as
// the OpenID provider (../spa-libs/provider.mjs, https://127.0.0.1:4961, its
// default RP-Initiated Logout 1.0 end_session_endpoint /session/end with
// its confirmation page), an Express app on http://localhost:4962 signing in
// with openid-client 6 and signing out as app.mjs says, and a headless
// Chromium driven over the DevTools protocol (../spa-libs/cdp.mjs). Versions
// are pinned by ../node-webapps/package.json and package-lock.json. All
// secrets are test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   clean          sign in, sign out at the provider (id_token_hint,
//                  registered post_logout_redirect_uri, state), confirm, back
//                  at the app's /signed-out; signing in again shows the
//                  provider's login form
//   unregistered   the app sends a post_logout_redirect_uri the client has
//                  not registered: oidc-provider's error page
//   missing-hint   the app sends post_logout_redirect_uri and state without
//                  id_token_hint or client_id: oidc-provider signs the user
//                  out and drops the URI, the browser stays on its
//                  "Sign-out Success" page
//   local-only     the app's /logout ends only its own session; signing in
//                  again comes straight back with a code (no login form):
//                  the provider's session survived
// Prints what the pages said; exits non-zero when the story did not happen.
import { readFileSync, writeFileSync } from 'node:fs';
import { browser, sleep } from '../spa-libs/cdp.mjs';
import { startProvider, USER, PASSWORD } from '../spa-libs/provider.mjs';
import { start } from './app.mjs';
import { mark } from './wants.mjs';

const stories = ['clean', 'unregistered', 'missing-hint', 'local-only'];
const [story, out] = process.argv.slice(2);
if (!stories.includes(story) || !out) throw new Error('usage: rec.mjs STORY OUT.har');
const OP = 'https://127.0.0.1:4961';
const APP = 'http://localhost:4962';
const CLIENT = 'logout-app', SECRET = 'test-only-client-secret-for-logout-app';

const opServer = startProvider({
  issuer: OP, port: 4961,
  key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT),
  clients: [{
    client_id: CLIENT, client_secret: SECRET, redirect_uris: [`${APP}/cb`],
    post_logout_redirect_uris: [`${APP}/signed-out`], grant_types: ['authorization_code'], response_types: ['code'],
  }],
});
opServer.on('request', (req) => { if (req.url.startsWith('/session/end')) console.log(`op: ${req.method} ${req.url.replace(/id_token_hint=[^&]+/, 'id_token_hint=…')}`); });
const appServer = await start({
  op: OP, port: 4962, clientId: CLIENT, clientSecret: SECRET, redirectUri: `${APP}/cb`,
  postLogout: story === 'unregistered' ? `${APP}/bye` : `${APP}/signed-out`,
  logout: { 'missing-hint': 'nohint', 'local-only': 'local' }[story] || 'rp',
});

const chromium = await browser({
  args: ['--ignore-certificate-errors', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  env: process.env.SSLKEYLOGFILE ? { SSLKEYLOGFILE: process.env.SSLKEYLOGFILE } : {},
});
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 200)`);
const atLoginForm = `location.host === '127.0.0.1:4961' && !!document.getElementById('username')`;
const signedIn = `location.href === '${APP}/' && !!document.getElementById('who')`;
const loaded = (host) => `location.host === '${host}' && document.readyState === 'complete' && !!document.body?.innerText`;

let ok = false;
try {
  const t = await chromium.tab();
  await t.send('Page.navigate', { url: `${APP}/login` });
  await t.waitFor(atLoginForm, 'the login form');
  await sleep(300);
  await t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
    document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
  await t.waitFor(signedIn, 'the signed-in home page');
  console.log(`browser: ${await page(t)}`);
  await sleep(500);
  // The user clicks "Sign out".
  await t.evaluate(`document.getElementById('logout').click(); true`);
  if (story === 'local-only') {
    await t.waitFor(`location.href === '${APP}/' && !!document.getElementById('login')`, 'the signed-out home page');
  } else if (story === 'unregistered') {
    await t.waitFor(loaded('127.0.0.1:4961') + ` && /wrong/.test(document.title)`, "the provider's error page");
  } else {
    // oidc-provider asks; the user confirms.
    await t.waitFor(loaded('127.0.0.1:4961') + ` && !!document.querySelector('button[name=logout]')`, "the provider's sign-out page");
    await sleep(300);
    await t.evaluate(`document.querySelector('button[name=logout]').click(); true`);
    if (story === 'clean') await t.waitFor(loaded('localhost:4962') + ` && !!document.getElementById('bye')`, "the app's signed-out page");
    else await t.waitFor(loaded('127.0.0.1:4961') + ` && /Sign-out Success/.test(document.title)`, "the provider's sign-out success page");
  }
  console.log(`browser: ${await page(t)}`);
  if (story === 'clean' || story === 'local-only') {
    // The user signs in again.
    await sleep(500);
    await t.send('Page.navigate', { url: `${APP}/login` });
    if (story === 'clean') await t.waitFor(atLoginForm, 'the login form again');
    else await t.waitFor(signedIn, 'the home page, signed in again without a login form');
    console.log(`browser: ${await page(t)}`);
  }
  await sleep(800);
  const har = await chromium.har(`traceaudit rules/testdata/logout/rec.mjs (${story})`);
  // The test's expectation, on the entry the finding points at (wants.mjs).
  mark(har, story);
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
