// Runs one sign-in story of MSAL.js 5 in its default AAD protocol mode and
// writes what the browser saw as a HAR, for gen.sh (stories entra:STORY;
// gen.sh also captures the loopback with tcpdump and Chromium's TLS key
// log): the Entra-shaped provider of entra.mjs (oidc-provider under
// https://login.microsoftonline.com/{tenant}/oauth2/v2.0/, Chromium mapping
// that host to 127.0.0.1:4945 with --host-resolver-rules, a self-signed
// certificate for it Chromium is told to accept), the SPA app/msal-aad.html
// (http://localhost:4942, @azure/msal-browser 5.31.0 and its redirect
// bridge, served as rec.mjs's are) and headless Chromium driven over the
// DevTools protocol (cdp.mjs). MSAL.js 5 has Entra's endpoints for this host
// built in: it makes no discovery request. All secrets are test-only values.
//
// Usage: TLS_KEY=key.pem TLS_CERT=cert.pem node --experimental-websocket rec-entra.mjs STORY OUT.har
//   clean                  loginRedirect, ending signed in
//   double-callback        handleRedirectPromise called twice at start-up
//   two-tabs               sign-ins started in two tabs, finished one after
//                          the other
//   redirect-mismatch      the app sends a redirect URI the application has
//                          not registered: Entra's AADSTS50011 page
//   silent-login-required  ssoSilent (a hidden iframe, prompt=none) with no
//                          session: login_required, AADSTS50058
//   refresh                a sign-in, then acquireTokenSilent forceRefresh:
//                          the refresh token grant from the browser
//   refresh-expired        as refresh, with refresh tokens issued for 3 s
//                          and the renewal 4 s after the sign-in:
//                          AADSTS700084; MSAL.js then renews in a hidden
//                          iframe, which carries the session's cookies
//   web-platform           the redirect URI is registered under the Web
//                          platform, not Single-page application: the token
//                          request (with Origin) is refused AADSTS9002326
// Prints what the pages said; exits non-zero when the story did not happen.
import { readFileSync, writeFileSync } from 'node:fs';
import { browser, sleep } from './cdp.mjs';
import { startEntra, USER, PASSWORD, HOST } from './entra.mjs';
import { startApp } from './app.mjs';
import { annotate } from './wants-entra.mjs';

const stories = ['clean', 'double-callback', 'two-tabs', 'redirect-mismatch', 'silent-login-required', 'refresh', 'refresh-expired', 'web-platform'];
const [story, out] = process.argv.slice(2);
if (!stories.includes(story) || !out) throw new Error('usage: rec-entra.mjs STORY OUT.har');
const APP = 'http://localhost:4942';
const CALLBACK = `${APP}/redirect.html`;

const opServer = startEntra({
  port: 4945,
  key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT),
  spa: story === 'web-platform' ? [] : [CALLBACK],
  web: story === 'web-platform' ? [CALLBACK] : [],
  ttl: story === 'refresh-expired' ? { RefreshToken: 3 } : undefined,
});
const cdnServer = startApp({ site: 'cdn', port: 4944 });
const appServer = startApp({
  site: 'msal-aad', port: 4942,
  redirectOverride: story === 'redirect-mismatch' ? `${APP}/auth/callback` : undefined,
  twice: story === 'double-callback',
});

const chromium = await browser({
  args: ['--ignore-certificate-errors', `--host-resolver-rules=MAP localhost 127.0.0.1, MAP ${HOST} 127.0.0.1:4945`],
  env: process.env.SSLKEYLOGFILE ? { SSLKEYLOGFILE: process.env.SSLKEYLOGFILE } : {},
});

const atLoginForm = `location.host === '${HOST}' && !!document.getElementById('loginfmt')`;
const submit = (t) => t.evaluate(`document.getElementById('loginfmt').value=${JSON.stringify(USER)};
  document.getElementById('login').value=${JSON.stringify(USER)};
  document.getElementById('passwd').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
const status = `document.getElementById('status')?.textContent || ''`;
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const home = async (t) => { await t.send('Page.navigate', { url: `${APP}/` }); await t.waitFor(`location.href === '${APP}/' && window.app && app.ready`, 'the app'); };
const says = (t, re, what) => t.waitFor(`location.host === '${new URL(APP).host}' && ${re}.test(${status})`, what);
const signIn = async (t) => {
  await t.waitFor(atLoginForm, 'the login form');
  await sleep(300);
  await submit(t);
};

let ok = false;
let a;
try {
  a = await chromium.tab();
  await home(a);
  if (story === 'redirect-mismatch') {
    await a.evaluate('app.login(); true');
    await a.waitFor(`location.host === '${HOST}' && document.readyState === 'complete' && !!document.body?.innerText`, "Entra's error page");
  } else if (story === 'silent-login-required') {
    await a.evaluate('app.sso().catch(() => {}); true');
    await says(a, '/failed/', 'the silent renewal to fail');
  } else {
    await a.evaluate('app.login(); true');
    let b;
    if (story === 'two-tabs') {
      await a.waitFor(atLoginForm, 'the login form in tab A');
      b = await chromium.tab();
      await home(b);
      await b.evaluate('app.login(); true');
      await b.waitFor(atLoginForm, 'the login form in tab B');
    }
    await signIn(a);
    await says(a, story === 'web-platform' ? '/Signed in as|failed/' : '/Signed in as/', 'the signed-in app');
    if (b) {
      console.log(`browser A: ${await page(a)}`);
      await sleep(300);
      await submit(b);
      await says(b, '/Signed in as|failed/', 'tab B to end');
      console.log(`browser B: ${await page(b)}`);
    }
    if (story.startsWith('refresh')) {
      console.log(`browser: ${await page(a)}`);
      await sleep(story === 'refresh-expired' ? 4000 : 500);
      await a.evaluate('app.refresh().catch(() => {}); true');
      await says(a, '/renewed|failed/', 'the renewal');
    }
  }
  console.log(`browser: ${await page(a)}`);
  await sleep(800);
  const har = await chromium.har(`traceaudit rules/testdata/spa-libs/rec-entra.mjs (${story})`);
  // The library's builds are left out (their size kept), as rec.mjs does.
  for (const e of har.log.entries) {
    if (e.request.url.startsWith('http://127.0.0.1:4944/') && e.response.content.text) {
      e.response.content = { size: e.response.content.size, mimeType: e.response.content.mimeType,
        comment: 'body left out by rec-entra.mjs: the published build package-lock.json pins' };
    }
  }
  annotate(har, story);
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
  if (a) console.log(`browser: ${await page(a).catch(() => '?')}`);
} finally {
  await chromium.close();
  opServer.close();
  appServer.close();
  cdnServer.close();
  process.exit(ok ? 0 : 1);
}
