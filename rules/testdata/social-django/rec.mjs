// Runs one sign-in story through real software and writes what the browser
// saw as a HAR, for gen.sh (which also captures the loopback with tcpdump):
// panva's oidc-provider as the OpenID provider (http://127.0.0.1:4941), a
// Django site signing in through social-auth-app-django's OpenID Connect
// backend (http://localhost:4942, started by gen.sh: app.py, its callback
// /complete/oidc/) and a headless Chromium driven over the DevTools
// protocol (../allauth/cdphar.mjs). Versions are pinned by package.json,
// package-lock.json and Debian's packages. All secrets are test-only
// values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   clean             one sign-in, ending on the app's "Signed in as"
//   two-tabs          sign-in started in tab A, then in tab B, then finished
//                     in A and in B (social-core keeps one state per backend
//                     in the session and reuses it: both tabs send it)
//   reload            a sign-in completes, then its callback URL is loaded
//                     again
//   bad-secret        the app runs with a client secret the provider does
//                     not have (gen.sh): the provider refuses the app's
//                     token request
//   redirect-mismatch the provider has another redirect URI registered for
//                     the client (/complete/oidc without its slash)
//   lost-session      the sign-in starts, the app's session cookie
//                     (sessionid) is deleted (as a browser dropping it
//                     would), then the user signs in
//   denied            the user refuses at the provider
// social-auth's middleware redirects a refusal to LOGIN_ERROR_URL
// (/login-error/), whose page shows its message. Prints what the browser
// saw; exits non-zero when the story did not happen.
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { browser, sleep } from '../allauth/cdphar.mjs';

const stories = ['clean', 'two-tabs', 'reload', 'bad-secret', 'redirect-mismatch', 'lost-session', 'denied'];
const [story, out] = process.argv.slice(2);
if (!stories.includes(story) || !out) throw new Error('usage: rec.mjs STORY OUT.har');
const OP = 'http://127.0.0.1:4941';
const APP = 'http://localhost:4942';
const CALLBACK = `${APP}/complete/oidc/`;
const USER = 'alice', PASSWORD = 'test-only-password';

// --- the provider: oidc-provider with a login form and consent granted ---
const provider = new Provider(OP, {
  clients: [{
    client_id: 'social-app', client_secret: 'test-only-client-secret-for-social-app',
    redirect_uris: [story === 'redirect-mismatch' ? CALLBACK.replace(/\/$/, '') : CALLBACK], grant_types: ['authorization_code'], response_types: ['code'],
  }],
  cookies: { keys: ['test-only-cookie-key-of-the-provider'] },
  claims: { openid: ['sub'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  // social-core's OpenID Connect backend sends no PKCE challenge.
  pkce: { required: () => false },
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
const opServer = provider.listen(4941, '127.0.0.1');

// --- the browser ---
const chromium = await browser();
const tab = chromium.tab;

const atLoginForm = `location.pathname.startsWith('/interaction/') && !!document.getElementById('username')`;
const submit = (t, deny) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)};
  document.getElementById('deny').value=${JSON.stringify(deny ? '1' : '')}; document.forms[0].submit(); true`);
const page = (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.replace(/\\s+/g, ' ').slice(0, 300)`);
const signedIn = `location.href === '${APP}/' && !!document.getElementById('who')`;
// The refusal: social-auth's redirect to LOGIN_ERROR_URL, or Django's plain
// 500 page at the callback.
const atCallbackError = `(location.pathname === '/login-error/' || location.pathname === '/complete/oidc/') && document.readyState === 'complete' && !!document.body?.innerText`;

let ok = false;
try {
  const a = await tab();
  await a.send('Page.navigate', { url: `${APP}/login/oidc/` });
  if (story === 'redirect-mismatch') {
    await a.waitFor(`location.host === '127.0.0.1:4941' && document.readyState === 'complete' && !!document.body?.innerText`, "the provider's error page");
  } else {
    await a.waitFor(atLoginForm, 'the login form in tab A');
    let b;
    if (story === 'two-tabs') {
      b = await tab();
      await b.send('Page.navigate', { url: `${APP}/login/oidc/` });
      await b.waitFor(atLoginForm, 'the login form in tab B');
    }
    if (story === 'lost-session') await a.send('Network.deleteCookies', { name: 'sessionid', domain: 'localhost' });
    await sleep(300);
    await submit(a, story === 'denied');
    if (['clean', 'two-tabs', 'reload'].includes(story)) {
      await a.waitFor(signedIn, 'the signed-in home page');
    } else {
      await a.waitFor(atCallbackError, 'the callback answered with an error');
    }
    if (story === 'two-tabs') {
      console.log(`browser A: ${await page(a)}`);
      await sleep(300);
      await submit(b, false);
      await b.waitFor(signedIn, 'the signed-in home page in tab B');
      console.log(`browser B: ${await page(b)}`);
    }
    if (story === 'reload') {
      console.log(`browser: ${await page(a)}`);
      const cb = chromium.urls().find((u) => u.startsWith(`${CALLBACK}?`));
      if (!cb) throw new Error('no callback URL to load again');
      await sleep(500);
      await a.send('Page.navigate', { url: cb });
      await a.waitFor(atCallbackError, 'the callback answered with an error');
    }
  }
  console.log(`browser: ${await page(a)}`);
  await sleep(800);
  const har = await chromium.har('traceaudit rules/testdata/social-django/rec.mjs');
  // The test's expectation (rules/rulestest: "want RULE PATTERN" in an
  // entry's comment), on the entry the finding points at: the last
  // callback, or the authorize request the provider refused.
  const want = {
    'two-tabs': 'want state-mismatch "both started by social-auth-app-django"',
    reload: 'want code-reuse "the app redeemed the code again and the provider refused it with HTTP 400 .*social-auth-app-django says \\"Authentication process canceled\\""',
    'bad-secret': 'want trace-quality "social-auth-app-django\'s page says \\"Your credentials aren\'t allowed\\""',
    'lost-session': 'want state-mismatch "social-auth-app-django says \\"Session value state missing.\\"\\\\): the request lacks the cookie\\\\(s\\\\) sessionid .*no other sign-in removed it"',
    'redirect-mismatch': 'want redirect-uri-mismatch "not registered for client social-app"',
  }[story];
  // The finding's entry: the (second) authorize request, or the last
  // callback.
  const at = ['redirect-mismatch', 'two-tabs'].includes(story)
    ? har.log.entries.findLast((e) => e.request.url.startsWith(`${OP}/auth?`))
    : har.log.entries.findLast((e) => e.request.url.startsWith(`${CALLBACK}?`));
  if (want && at) at.comment = want;
  writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  ok = true;
} catch (e) {
  console.log(`error: ${e.message}`);
} finally {
  await chromium.close();
  opServer.close();
  process.exit(ok ? 0 : 1);
}
