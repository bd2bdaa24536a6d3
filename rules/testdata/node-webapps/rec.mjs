// Runs one sign-in story of one Node web app library through real software
// and writes what the browser saw as a HAR, for gen.sh (which also captures
// the loopback with tcpdump and keeps the TLS keys): panva's oidc-provider
// as the OpenID provider over HTTPS (https://127.0.0.1:4951, gen.sh's
// throwaway certificate, trusted by the app through NODE_EXTRA_CA_CERTS),
// an Express app on http://localhost:4952 signing in with one of
//   msalnode  @azure/msal-node 7 (app-msal.mjs, redirect URI /auth/redirect)
//   authjs    Auth.js: @auth/express on @auth/core (app-authjs.mjs,
//             callback /auth/callback/lab)
//   oidc6     openid-client 6 (app-oidc6.mjs, callback /cb)
// and a headless Chromium driven over the DevTools protocol
// (../allauth/cdphar.mjs; the provider's certificate errors ignored through
// CDP Security.setIgnoreCertificateErrors). Versions are pinned by
// package.json and package-lock.json. All secrets are test-only values.
//
// Usage: node --experimental-websocket --stack-trace-limit=0 rec.mjs LIB STORY OUT.har
//   clean             one sign-in, ending on the app's "Signed in as"
//   two-tabs          sign-in started in tab A, then in tab B, then finished
//                     in A, then in B
//   reload            a sign-in completes, then its callback URL is loaded
//                     again
//   bad-secret        the app runs with a client secret the provider does
//                     not have
//   redirect-mismatch the app sends a redirect URI the client has not
//                     registered: oidc-provider's error page
//   lost-session      the sign-in starts, the cookie the app keeps the
//                     sign-in's checks in (express-session's connect.sid;
//                     Auth.js's authjs.pkce.code_verifier) is deleted, as a
//                     browser dropping it would, then the user signs in
//   denied            the user refuses at the provider
// Express's default error handler answers an error with 500 and its name
// and message (node runs with --stack-trace-limit=0: no stack frames naming
// the recording machine's directories); Auth.js redirects to its own error
// or sign-in page. Prints what the browser saw; exits non-zero when the
// story did not happen.
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';
import { browser, sleep } from '../allauth/cdphar.mjs';
import { mark } from './wants.mjs';

const libs = {
  msalnode: { app: './app-msal.mjs', start: '/auth/signin', callback: '/auth/redirect', wrongCallback: '/auth/callback', session: 'connect.sid' },
  authjs: { app: './app-authjs.mjs', start: '/auth/signin', callback: '/auth/callback/lab', session: 'authjs.pkce.code_verifier' },
  oidc6: { app: './app-oidc6.mjs', start: '/login', callback: '/cb', wrongCallback: '/callback', session: 'connect.sid' },
};
const stories = ['clean', 'two-tabs', 'reload', 'bad-secret', 'redirect-mismatch', 'lost-session', 'denied'];
const [lib, story, out] = process.argv.slice(2);
const L = libs[lib];
if (!L || !stories.includes(story) || !out) throw new Error('usage: rec.mjs LIB STORY OUT.har');
const OP = 'https://127.0.0.1:4951';
const APP = 'http://localhost:4952';
const CALLBACK = `${APP}${L.callback}`;
const CLIENT = `${lib}-app`, SECRET = `test-only-client-secret-for-${lib}-app`;
const USER = 'alice', PASSWORD = 'test-only-password';
// Auth.js builds its callback URL from the request; the provider then has
// only the one a Next.js app of the same name would use (/api/auth/...).
const registered = story === 'redirect-mismatch' && lib === 'authjs' ? `${APP}/api${L.callback}` : CALLBACK;

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: CLIENT, client_secret: SECRET,
    redirect_uris: [registered], grant_types: ['authorization_code'], response_types: ['code'],
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
provider.on('grant.error', (ctx, err) => console.log(`op: token refused ${err.error} (${err.error_description})`));
provider.on('authorization.error', (ctx, err) => console.log(`op: authorize refused ${err.error} (${err.error_description})`));
const opServer = https.createServer({ cert: readFileSync(process.env.OP_CERT), key: readFileSync(process.env.OP_KEY) }, provider.callback())
  .listen(4951, '127.0.0.1');

// --- the app ---
const { start } = await import(L.app);
const appServer = await start({
  op: OP, port: 4952, clientId: CLIENT,
  // The app's secret no longer matches the provider's registration.
  clientSecret: story === 'bad-secret' ? `test-only-client-secret-rotated-at-the-provider-${lib}` : SECRET,
  // The app configured with a callback URL the client has not registered.
  redirectUri: story === 'redirect-mismatch' && L.wrongCallback ? `${APP}${L.wrongCallback}` : CALLBACK,
});

// --- the browser ---
const chromium = await browser();
const tab = async () => {
  const t = await chromium.tab();
  await t.send('Security.setIgnoreCertificateErrors', { ignore: true });
  return t;
};

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const submit = (t, deny) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)};
  document.getElementById('deny').value=${JSON.stringify(deny ? '1' : '')}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const signedIn = `location.href === '${APP}/' && !!document.getElementById('who')`;
// The callback answered with Express's error page, or Auth.js's redirect
// to its error or sign-in page, left as it is.
const atCallbackError = lib === 'authjs'
  ? `location.host === 'localhost:4952' && /[?&]error=/.test(location.search) && document.readyState === 'complete'`
  : `location.pathname === '${L.callback}' && document.readyState === 'complete' && !!document.body?.innerText`;
// begin starts a sign-in in t: Auth.js's sign-in page posts its form.
const begin = async (t, what) => {
  await t.send('Page.navigate', { url: `${APP}${L.start}` });
  if (lib === 'authjs') {
    await t.waitFor(`location.pathname === '/auth/signin' && !!document.querySelector('form[action$="/signin/lab"] button')`, `Auth.js's sign-in page in ${what}`);
    await sleep(200);
    await t.evaluate(`document.querySelector('form[action$="/signin/lab"] button').click(); true`);
  }
};

let ok = false;
try {
  const a = await tab();
  await begin(a, 'tab A');
  if (story === 'redirect-mismatch') {
    await a.waitFor(`location.host === '127.0.0.1:4951' && document.readyState === 'complete' && !!document.body?.innerText`, "the provider's error page");
  } else {
    await a.waitFor(atLoginForm, 'the login form in tab A');
    let b;
    if (story === 'two-tabs') {
      b = await tab();
      await begin(b, 'tab B');
      await b.waitFor(atLoginForm, 'the login form in tab B');
    }
    if (story === 'lost-session') await a.send('Network.deleteCookies', { name: L.session, domain: 'localhost' });
    await sleep(300);
    await submit(a, story === 'denied');
    if (['clean', 'reload'].includes(story)) {
      await a.waitFor(signedIn, 'the signed-in home page');
    } else if (story === 'two-tabs') {
      await a.waitFor(`${signedIn} || (${atCallbackError})`, 'the end of tab A');
    } else {
      await a.waitFor(atCallbackError, 'the callback answered with an error');
    }
    if (story === 'two-tabs') {
      console.log(`browser A: ${await page(a)}`);
      // The user tries the other tab.
      await sleep(300);
      await submit(b, false);
      await b.waitFor(`${signedIn} || (${atCallbackError})`, 'the end of tab B');
      console.log(`browser B: ${await page(b)}`);
    }
    if (story === 'reload') {
      console.log(`browser: ${await page(a)}`);
      const cb = chromium.urls().find((u) => u.startsWith(`${CALLBACK}?`));
      if (!cb) throw new Error('no callback URL to load again');
      await sleep(500);
      await a.send('Page.navigate', { url: cb });
      await a.waitFor(`${signedIn} || (${atCallbackError})`, 'the end of the second callback');
    }
  }
  console.log(`browser: ${await page(a)}`);
  await sleep(800);
  const har = await chromium.har(`traceaudit rules/testdata/node-webapps/rec.mjs ${lib}`);
  // The test's expectation, on the entry the finding points at (wants.mjs).
  mark(har, lib, story);
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
