// Runs one sign-in story of a real single-page app and writes what the
// browser saw as a HAR, for gen.sh (which also captures the loopback with
// tcpdump and Chromium's TLS key log): panva's oidc-provider over https as
// the OpenID provider (provider.mjs, https://127.0.0.1:4941, a self-signed
// certificate Chromium is told to accept), an SPA using Microsoft's MSAL.js 5
// (@azure/msal-browser, protocolMode OIDC, its redirect bridge page,
// http://localhost:4942) or oidc-client-ts 3 (http://localhost:4943), each
// served with the library's own browser build (app.mjs, app/; the builds
// from http://127.0.0.1:4944, as from a CDN), and a headless
// Chromium driven over the DevTools protocol (cdp.mjs: tabs, hidden iframes
// and popups). Versions are pinned by package.json and package-lock.json. All
// secrets are test-only values.
//
// Usage: TLS_KEY=key.pem TLS_CERT=cert.pem node --experimental-websocket rec.mjs LIB STORY OUT.har
//   LIB msal or oidcts; STORY:
//   clean                  loginRedirect / signinRedirect, ending signed in
//   reload                 a sign-in completes, then its callback URL (with
//                          the provider's answer) is opened again
//   double-callback        the app handles the sign-in's answer twice at once
//                          (handleRedirectPromise / signinRedirectCallback
//                          called twice, as an unguarded React 18 effect under
//                          StrictMode does)
//   two-tabs               sign-ins started in two tabs, finished one after
//                          the other
//   redirect-mismatch      the app sends a redirect URI the client has not
//                          registered: oidc-provider's error page
//   silent-login-required  the app renews silently (ssoSilent / signinSilent:
//                          a hidden iframe, prompt=none) with no session at
//                          the provider: login_required
//   refresh                a sign-in (prompt=consent: oidc-provider keeps
//                          offline_access only then), then a renewal with the
//                          refresh token (acquireTokenSilent forceRefresh /
//                          signinSilent)
//   refresh-invalid-scope  as refresh without prompt=consent: the provider
//                          dropped offline_access from the grant, the
//                          renewal asks for it again
//   refresh-expired        as refresh, after the refresh token has expired
//                          (the provider issues it for 2 s)
//   popup                  loginPopup / signinPopup
//   signout                (oidcts) a sign-in, then signoutRedirect: the
//                          browser goes to the end-session endpoint with
//                          id_token_hint, state and a registered
//                          post_logout_redirect_uri, the user confirms on
//                          oidc-provider's page, the provider sends it back
//                          and signoutRedirectCallback checks the state
//   signout-revoke         (oidcts) as signout with revokeTokensOnSignout:
//                          the page revokes the tokens first at the
//                          provider's revocation endpoint (turned on for
//                          both sign-out stories), whose answer (200, no
//                          body, text/plain) oidc-client-ts 3.5.0 rejects
//                          ("Invalid response Content-Type"): the browser
//                          never reaches the end-session endpoint
// Prints what the pages said; exits non-zero when the story did not happen.
import { readFileSync, writeFileSync } from 'node:fs';
import { browser, sleep } from './cdp.mjs';
import { startProvider, USER, PASSWORD } from './provider.mjs';
import { startApp } from './app.mjs';

const stories = ['clean', 'reload', 'double-callback', 'two-tabs', 'redirect-mismatch', 'silent-login-required', 'refresh', 'refresh-expired', 'refresh-invalid-scope', 'popup', 'signout', 'signout-revoke'];
const [lib, story, out] = process.argv.slice(2);
if (!['msal', 'oidcts'].includes(lib) || !stories.includes(story) || !out || (story.startsWith('signout') && lib !== 'oidcts')) throw new Error('usage: rec.mjs msal|oidcts STORY OUT.har');
const OP = 'https://127.0.0.1:4941';
const APP = lib === 'msal' ? 'http://localhost:4942' : 'http://localhost:4943';
const CALLBACK = lib === 'msal' ? `${APP}/redirect.html` : `${APP}/callback.html`;

const spa = (id, uris) => ({
  client_id: id, token_endpoint_auth_method: 'none', application_type: 'web',
  redirect_uris: uris, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
});
const opServer = startProvider({
  issuer: OP, port: 4941,
  key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT),
  clients: [
    spa('msal-spa', ['http://localhost:4942/redirect.html']),
    {
      ...spa('oidc-spa', ['http://localhost:4943/callback.html', 'http://localhost:4943/silent.html', 'http://localhost:4943/popup.html']),
      ...(story.startsWith('signout') ? { post_logout_redirect_uris: ['http://localhost:4943/signed-out.html'] } : {}),
    },
  ],
  ttl: story === 'refresh-expired' ? { RefreshToken: 2 } : undefined,
  revocation: story.startsWith('signout'),
});
const cdnServer = startApp({ site: 'cdn', port: 4944 });
const appServer = startApp({
  site: lib === 'msal' ? 'msal' : 'oidc', port: lib === 'msal' ? 4942 : 4943,
  redirectOverride: story === 'redirect-mismatch' ? `${APP}/auth/callback` : undefined,
  twice: story === 'double-callback',
  revokeOnSignout: story === 'signout-revoke',
});

const chromium = await browser({
  args: ['--ignore-certificate-errors', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  env: process.env.SSLKEYLOGFILE ? { SSLKEYLOGFILE: process.env.SSLKEYLOGFILE } : {},
});

const atLoginForm = `location.host === '127.0.0.1:4941' && !!document.getElementById('username')`;
const submit = (t) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
const status = `document.getElementById('status')?.textContent || ''`;
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const home = async (t) => { await t.send('Page.navigate', { url: `${APP}/` }); await t.waitFor(`location.href === '${APP}/' && window.app && app.ready`, 'the app'); };
const says = (t, re, what) => t.waitFor(`location.host === '${new URL(APP).host}' && ${re}.test(${status})`, what);
const signIn = async (t) => {
  await t.waitFor(atLoginForm, 'the login form');
  await sleep(300);
  await submit(t);
};

// annotate writes the test's expectations (rules/rulestest: "want RULE
// PATTERN" in an entry's comment, the pattern a Go string literal's body)
// on the entries the findings point at.
function annotate(har) {
  const es = har.log.entries;
  const authorize = (silent) => es.find((e) => e.request.url.startsWith(`${OP}/auth?`) && e.request.url.includes('prompt=none') === silent);
  const refreshRefused = () => es.find((e) => e.request.method === 'POST' && e.request.url.startsWith(`${OP}/token`)
    && e.request.postData?.text.includes('grant_type=refresh_token') && e.response.status === 400);
  const name = lib === 'msal' ? 'MSAL\\\\.js \\\\(msal-browser\\\\) 5\\\\.31\\\\.0' : 'oidc-client-ts';
  const client = lib === 'msal' ? 'msal-spa' : 'oidc-spa';
  const wants = {
    'redirect-mismatch': [[authorize(false), `want redirect-uri-mismatch "not registered for client ${client}"`]],
    'silent-login-required': [[authorize(true), `want interaction-required "with login_required .*; ${name} made it \\\\(prompt=none in a hidden iframe\\\\)"`]],
    'refresh-expired': lib === 'msal' ? [
      [refreshRefused(), `want refresh-token-expired "${name} sent it from the browser \\\\(Origin ${APP}\\\\) and then, as MSAL\\\\.js does when a refresh token is refused, renewed silently at entries\\\\[[0-9]+\\\\] \\\\(prompt=none, in a hidden iframe\\\\)"`],
      [authorize(true), 'want interaction-required "the provider set them SameSite=Lax or Strict \\\\(_session, _session\\\\.sig\\\\), which no browser sends in a cross-site frame"'],
    ] : [[refreshRefused(), `want refresh-token-expired "${name} sent it from the browser \\\\(Origin ${APP}\\\\), and made no other attempt"`]],
    'double-callback': lib === 'oidcts' ? [[es.find((e) => e.request.method === 'POST' && e.request.url === `${OP}/token` && e.response.status === 400),
      'want code-reuse "oidc-client-ts redeemed the code twice at once with the sign-in\'s one PKCE verifier: signinRedirectCallback ran twice"']] : [],
    reload: lib === 'oidcts' ? [[es.findLast((e) => e.request.url.startsWith(`${CALLBACK}?`)),
      'want code-reuse "and no second token request follows: oidc-client-ts removed the sign-in\'s state from storage"']] : [],
    'signout-revoke': [[es.find((e) => e.request.method === 'POST' && e.request.url === `${OP}/token/revocation`),
      `want logout-stopped-at-revocation "the page at ${APP} revoked the access token sha256:[0-9a-f]+ at entries\\\\[[0-9]+\\\\] and no logout request .* answered the revocation HTTP 200 with Content-Type .text/plain; charset=utf-8., not application/json, and oidc-client-ts refuses"`]],
  }[story] || [];
  for (const [e, want] of wants) {
    if (!e) throw new Error(`no entry for ${want}`);
    e.comment = e.comment ? `${e.comment}; ${want}` : want;
  }
}

let ok = false;
let a;
try {
  a = await chromium.tab();
  await home(a);
  if (story === 'redirect-mismatch') {
    await a.evaluate('app.login(); true');
    await a.waitFor(`location.host === '127.0.0.1:4941' && document.readyState === 'complete' && !!document.body?.innerText`, "the provider's error page");
  } else if (story === 'silent-login-required') {
    await a.evaluate(`app.${lib === 'msal' ? 'sso' : 'silent'}().catch(() => {}); true`);
    await says(a, '/failed/', 'the silent renewal to fail');
  } else if (story === 'popup') {
    await a.evaluate('app.popup().catch(() => {}); true');
    const p = await chromium.popup(0, 'the sign-in popup');
    await signIn(p);
    await says(a, /popup/.toString(), 'the popup sign-in');
  } else {
    await a.evaluate(`app.login(${['refresh', 'refresh-expired'].includes(story) ? "{ prompt: 'consent' }" : ''}); true`);
    let b;
    if (story === 'two-tabs') {
      await a.waitFor(atLoginForm, 'the login form in tab A');
      b = await chromium.tab();
      await home(b);
      await b.evaluate('app.login(); true');
      await b.waitFor(atLoginForm, 'the login form in tab B');
    }
    await signIn(a);
    await says(a, story === 'double-callback' ? '/Signed in as|failed/' : '/Signed in as/', 'the signed-in app');
    if (b) {
      console.log(`browser A: ${await page(a)}`);
      await sleep(300);
      await submit(b);
      await says(b, '/Signed in as|failed/', 'tab B to end');
      console.log(`browser B: ${await page(b)}`);
    }
    if (story === 'reload') {
      console.log(`browser: ${await page(a)}`);
      const cb = chromium.locations().find((u) => u.startsWith(CALLBACK));
      if (!cb) throw new Error('no callback URL to open again');
      await sleep(500);
      await a.send('Page.navigate', { url: cb });
      await sleep(1500);
    }
    if (story === 'signout-revoke') {
      console.log(`browser: ${await page(a)}`);
      await sleep(500);
      await a.evaluate('app.logout(); true');
      await says(a, '/signoutRedirect failed/', 'the sign-out to fail');
    }
    if (story === 'signout') {
      console.log(`browser: ${await page(a)}`);
      await sleep(500);
      await a.evaluate('app.logout(); true');
      // oidc-provider asks; the user confirms.
      await a.waitFor(`location.host === '127.0.0.1:4941' && document.readyState === 'complete' && !!document.querySelector('button[name=logout]')`, "the provider's sign-out page");
      await sleep(300);
      await a.evaluate(`document.querySelector('button[name=logout]').click(); true`);
      await a.waitFor(`location.href.startsWith('${APP}/signed-out.html') && /Signed out|failed/.test(${status})`, 'the way back');
    }
    if (story.startsWith('refresh')) {
      console.log(`browser: ${await page(a)}`);
      await sleep(story === 'refresh-expired' ? 3000 : 500);
      await a.evaluate(`app.${lib === 'msal' ? 'refresh' : 'silent'}().catch(() => {}); true`);
      await says(a, '/renewed|signinSilent|failed/', 'the renewal');
    }
  }
  console.log(`browser: ${await page(a)}`);
  await sleep(800);
  const har = await chromium.har(`traceaudit rules/testdata/spa-libs/rec.mjs (${lib} ${story})`);
  // The libraries' builds are left out (their size kept): they are the
  // published files package-lock.json pins, a third of a megabyte each load.
  for (const e of har.log.entries) {
    if (e.request.url.startsWith('http://127.0.0.1:4944/') && e.response.content.text) {
      e.response.content = { size: e.response.content.size, mimeType: e.response.content.mimeType,
        comment: 'body left out by rec.mjs: the published build package-lock.json pins' };
    }
  }
  annotate(har);
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
  if (a) console.log(`browser: ${await page(a).catch(() => "?")}`);

} finally {
  await chromium.close();
  opServer.close();
  appServer.close();
  cdnServer.close();
  process.exit(ok ? 0 : 1);
}
