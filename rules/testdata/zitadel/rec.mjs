// Runs one sign-in story against the example OpenID provider of
// github.com/zitadel/oidc/v3 (op/, http://127.0.0.1:4981, started by gen.sh)
// and writes what the browser saw as a HAR, for gen.sh (which also captures
// the loopback with tcpdump). Two apps: a single-page app using Auth0's
// @auth0/auth0-spa-js 2.27.0 (spa/index.html with the package's own browser
// build from http://127.0.0.1:4984, as from a CDN; the page on
// http://localhost:4982), and a server-side Go web app
// using golang.org/x/oauth2 and github.com/coreos/go-oidc/v3 (webapp/,
// http://localhost:4983, started by gen.sh with the story's faults). A
// headless Chromium driven over the DevTools protocol (../spa-libs/cdp.mjs:
// tabs and hidden iframes). All secrets are test-only values.
//
// Usage: node --experimental-websocket rec.mjs APP STORY OUT.har
//   APP spa; STORY:
//   cors-blocked       as clean, against the provider's default CORS policy,
//                      which does not allow the Auth0-Client header
//                      auth0-spa-js sends with its token requests
//   clean              loginWithRedirect, the provider's login page,
//                      handleRedirectCallback: signed in
//   reload             as clean, then the callback URL (with the code) is
//                      opened again
//   two-tabs           sign-ins started in two tabs, finished one after the
//                      other
//   redirect-mismatch  the app sends a redirect URI the client does not
//                      register (http://localhost:4982/auth/callback)
//   silent             a sign-in, then getTokenSilently({cacheMode: 'off'})
//                      without refresh tokens: a hidden iframe with
//                      prompt=none and response_mode=web_message, which the
//                      provider does not know
//   refresh            useRefreshTokens: a sign-in, then two renewals with
//                      the refresh token (the provider rotates it)
//   signout            a sign-in, then logout({logoutParams: {returnTo}}):
//                      auth0-spa-js sends the browser to DOMAIN/v2/logout
//   APP web; STORY:
//   clean              sign-in
//   reload             as clean, then the callback URL opened again: the app
//                      redeems the code again
//   two-tabs           sign-ins started in two tabs, finished one after the
//                      other: the app's one PKCE verifier cookie is the
//                      second tab's when the first tab's code is redeemed
//   redirect-mismatch  the app sends http://localhost:4983/callback
//   bad-secret         the app sends a wrong client secret
//   pkce-missing       the app sends a code challenge but redeems the code
//                      without its verifier
//   refresh-reuse      a sign-in, then two renewals at once in two fetches:
//                      both use the same refresh token, which the provider
//                      rotates on first use
//   signout            a sign-in, then /logout: RP-initiated logout with
//                      id_token_hint and a post_logout_redirect_uri the
//                      client does not register
// Prints what the pages said; exits non-zero when the story did not happen.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { browser, sleep } from './cdp.mjs';

const spaStories = ['cors-blocked', 'clean', 'reload', 'two-tabs', 'redirect-mismatch', 'silent', 'refresh', 'signout'];
const webStories = ['clean', 'reload', 'two-tabs', 'redirect-mismatch', 'bad-secret', 'pkce-missing', 'refresh-reuse', 'signout'];
const [appName, story, out] = process.argv.slice(2);
if (!out || !(appName === 'spa' ? spaStories : appName === 'web' ? webStories : []).includes(story)) throw new Error('usage: rec.mjs spa|web STORY OUT.har');
const OP = 'http://127.0.0.1:4981';
const APP = appName === 'spa' ? 'http://localhost:4982' : 'http://localhost:4983';
const CALLBACK = appName === 'spa' ? `${APP}/callback.html` : `${APP}/auth/callback`;
const USER = 'test-user@127.0.0.1', PASSWORD = 'verysecure';

let spaServer, cdnServer;
if (appName === 'spa') {
  const page = readFileSync('spa/index.html');
  const build = readFileSync('node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js');
  // The SDK's build comes from another origin, as from a CDN, which the
  // capture leaves out (its port is not gen.sh's filter).
  cdnServer = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
    res.end(build);
  }).listen(4984, '127.0.0.1');
  spaServer = createServer((req, res) => {
    const path = new URL(req.url, APP).pathname;
    if (['/', '/index.html', '/callback.html', '/auth/callback'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  }).listen(4982, '127.0.0.1');
}

const chromium = await browser({ args: ['--host-resolver-rules=MAP localhost 127.0.0.1'] });
const atLoginForm = `location.host === '127.0.0.1:4981' && !!document.getElementById('username')`;
const submit = (t) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
const status = `document.getElementById('status')?.textContent || ''`;
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const home = async (t) => {
  await t.send('Page.navigate', { url: `${APP}/` });
  await t.waitFor(appName === 'spa' ? `location.href === '${APP}/' && window.app && app.ready` : `location.href === '${APP}/' && document.readyState === 'complete'`, 'the app');
};
const says = (t, re, what) => t.waitFor(`location.host === '${new URL(APP).host}' && ${re}i.test(${status})`, what);
const login = async (t) => {
  if (appName === 'spa') {
    await t.evaluate(`app.configure(${JSON.stringify({ refresh: story === 'refresh', redirect: story === 'redirect-mismatch' ? `${APP}/auth/callback` : undefined })}); location.reload(); true`);
    await t.waitFor(`window.app && app.ready`, 'the app again');
    await t.evaluate('app.login(); true');
  } else {
    await t.send('Page.navigate', { url: `${APP}/login` });
  }
};
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
  await login(a);
  if (story === 'redirect-mismatch') {
    await a.waitFor(`location.host === '127.0.0.1:4981' && document.readyState === 'complete' && !!document.body?.innerText`, "the provider's error page");
  } else {
    let b;
    if (story === 'two-tabs') {
      await a.waitFor(atLoginForm, 'the login form in tab A');
      b = await chromium.tab();
      await home(b);
      await login(b);
      await b.waitFor(atLoginForm, 'the login form in tab B');
    }
    await signIn(a);
    await says(a, '/Signed in as|failed|match/', 'the app after the sign-in');
    console.log(`browser A: ${await page(a)}`);
    if (b) {
      await sleep(300);
      await submit(b);
      await says(b, '/Signed in as|failed|match/', 'tab B to end');
      console.log(`browser B: ${await page(b)}`);
    }
    if (story === 'reload') {
      const cb = chromium.locations().find((u) => u.startsWith(`${CALLBACK}?`));
      if (!cb) throw new Error('no callback URL to open again');
      await sleep(500);
      await a.send('Page.navigate', { url: cb });
      await sleep(2000);
    }
    if (story === 'silent') {
      await sleep(500);
      await a.evaluate('app.renew(); true');
      await says(a, '/renewed|failed/', 'the silent renewal');
    }
    if (story === 'refresh') {
      for (const n of [1, 2]) {
        await sleep(500);
        await a.evaluate(`document.getElementById('status').textContent = 'renewing'; app.renew(); true`);
        await says(a, '/renewed|failed/', `renewal ${n}`);
        console.log(`browser: ${await page(a)}`);
      }
    }
    if (story === 'refresh-reuse') {
      await sleep(500);
      const r = await a.evaluate(`Promise.all([fetch('/refresh?n=1'), fetch('/refresh?n=2')]).then((rs) => rs.map((r) => r.status).join(' '))`);
      console.log(`renewals: ${r}`);
    }
    if (story === 'signout') {
      await sleep(500);
      if (appName === 'spa') await a.evaluate('app.logout(); true');
      else await a.send('Page.navigate', { url: `${APP}/logout` });
      await a.waitFor(`document.readyState === 'complete' && location.host !== '${new URL(APP).host}'`, 'the sign-out');
      await sleep(1000);
    }
  }
  console.log(`browser: ${await page(a)}`);
  await sleep(800);
  const har = await chromium.har(`traceaudit rules/testdata/zitadel/rec.mjs (${appName} ${story})`);
  // auth0-spa-js's build is left out (its size kept): it is the published
  // file gen.sh installs, 80 kB each load.
  for (const e of har.log.entries) {
    if (e.request.url.endsWith('/auth0-spa-js.production.js') && e.response.content.text) {
      e.response.content = { size: e.response.content.size, mimeType: e.response.content.mimeType,
        comment: 'body left out by rec.mjs: the published build of @auth0/auth0-spa-js 2.27.0' };
    }
  }
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
  if (a) console.log(`browser: ${await page(a).catch(() => '?')}`);
} finally {
  await chromium.close();
  if (spaServer) spaServer.close();
  if (cdnServer) cdnServer.close();
  process.exit(ok ? 0 : 1);
}
