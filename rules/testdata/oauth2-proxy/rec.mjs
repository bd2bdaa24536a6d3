// Runs one sign-in story through oauth2-proxy v7 (its binary from $O2P) in
// front of an app, for gen.sh (which captures the loopback with tcpdump
// meanwhile), and writes what the browser saw as a HAR. The OpenID provider
// is panva's oidc-provider over https (../spa-libs/provider.mjs, on
// https://127.0.0.1:4961; email and groups claims added), the browser a
// headless Chromium driven over the DevTools protocol (../spa-libs/cdp.mjs,
// which builds the HAR as DevTools' export does). oauth2-proxy serves
// https://app.lab.test:4962 (the browser maps app.lab.test to 127.0.0.1)
// with provider oidc, callback /oauth2/callback, upstream static://200,
// --skip-provider-button and its defaults otherwise (cookie-secure true,
// one CSRF cookie per browser, cookie sessions), except as a story says.
// The certificate is gen.sh's throwaway one (SAN 127.0.0.1 and
// app.lab.test), trusted by oauth2-proxy through SSL_CERT_FILE; Chromium
// ignores certificate errors. All secrets are test-only values.
//
// Usage: node --experimental-websocket rec.mjs STORY OUT.har
//   clean                 one sign-in
//   sign-in-page          without --skip-provider-button: oauth2-proxy's
//                         sign-in page (answered 403), its button, the sign-in
//   cookie-secure         oauth2-proxy on plain http (http://app.lab.test:4962)
//                         with its default --cookie-secure=true: the browser
//                         refuses the Secure CSRF cookie, the callback is 403
//   cookie-domain         --cookie-domain=.example.com while the browser uses
//                         app.lab.test: the browser refuses the cookie
//   csrf-expired          --cookie-csrf-expire=5s and the user 8 s on the
//                         login form: the CSRF cookie expired
//   two-tabs              sign-in started in tab A, then in tab B, A finishes
//                         (refused: one CSRF cookie, B's), then B
//   two-tabs-per-request  the same with --cookie-csrf-per-request=true
//   reload                a sign-in completes, its callback URL loaded again
//   redirect-mismatch     --redirect-url .../oauth2/callback2, not registered
//   wrong-secret          --client-secret the provider does not have
//   email-domain          --email-domain=example.org, the user is
//                         alice@example.test: 403 after the code was redeemed
//   large-cookie          the user is in 80 groups (GUIDs, as Entra's groups
//                         claim has them): the session cookie is split
//                         (_oauth2_proxy_0, _1, ...) and the sign-in works
//   large-cookie-nginx    the same behind nginx (https://app.lab.test:4963,
//                         proxy_pass to oauth2-proxy on plain http, its
//                         default proxy_buffer_size): nginx answers the
//                         callback 502, the Set-Cookie headers too big
//   refresh-failed        --cookie-refresh=10s, the provider's refresh tokens
//                         live 5 s: a page loaded 12 s after the sign-in
//                         makes oauth2-proxy refresh, the provider refuses
//                         (invalid_grant), oauth2-proxy clears the session
//                         and starts a new sign-in
// Prints what the pages said; exits non-zero when the story did not happen.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser, sleep } from '../spa-libs/cdp.mjs';
import { startProvider, USER, PASSWORD } from '../spa-libs/provider.mjs';

const stories = ['clean', 'sign-in-page', 'cookie-secure', 'cookie-domain', 'csrf-expired', 'two-tabs', 'two-tabs-per-request',
  'reload', 'redirect-mismatch', 'wrong-secret', 'email-domain', 'large-cookie', 'large-cookie-nginx', 'refresh-failed'];
const [story, out] = process.argv.slice(2);
if (!stories.includes(story) || !out) throw new Error(`usage: rec.mjs ${stories.join('|')} OUT.har`);
const OP = 'https://127.0.0.1:4961';
const nginx = story === 'large-cookie-nginx';
const APP = story === 'cookie-secure' ? 'http://app.lab.test:4962' : nginx ? 'https://app.lab.test:4963' : 'https://app.lab.test:4962';
const START = `${APP}/`;
const CALLBACK = `${APP}/oauth2/callback`;
const SENT_CALLBACK = story === 'redirect-mismatch' ? `${APP}/oauth2/callback2` : CALLBACK;
const CLIENT_ID = 'o2p-app', SECRET = 'test-only-client-secret-for-o2p-app';
const key = readFileSync(process.env.TLS_KEY), cert = readFileSync(process.env.TLS_CERT);
const work = mkdtempSync(join(tmpdir(), 'rec-o2p-'));

// Group object ids as Entra's groups claim carries them: 80 GUID-shaped
// values, made from a counter (high entropy, as real ones: oauth2-proxy
// compresses its session before encrypting it).
const groups = [];
for (let i = 0; groups.length < 80; i++) {
  const h = createHash('sha256').update(`group-${i}`).digest('hex');
  groups.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`);
}
const big = story.startsWith('large-cookie');

const opServer = startProvider({
  issuer: OP, port: 4961, key, cert,
  clients: [{
    client_id: CLIENT_ID, client_secret: SECRET, redirect_uris: [CALLBACK],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
  }],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], ...(big ? { groups: ['groups'] } : {}) },
  account: { email: 'alice@example.test', email_verified: true, ...(big ? { groups } : {}) },
  ttl: story === 'refresh-failed' ? { RefreshToken: 5 } : undefined,
});

// --- oauth2-proxy ---
const flags = [`--provider=oidc`, `--oidc-issuer-url=${OP}`, `--client-id=${CLIENT_ID}`,
  `--client-secret=${story === 'wrong-secret' ? 'test-only-wrong-client-secret' : SECRET}`,
  `--redirect-url=${SENT_CALLBACK}`, '--cookie-secret=test-only-cookie-secret-32bytes!',
  '--email-domain=' + (story === 'email-domain' ? 'example.org' : '*'), '--upstream=static://200',
  '--silence-ping-logging=true', '--show-debug-on-error=false'];
if (big) flags.push('--scope=openid email profile groups');
if (story !== 'sign-in-page') flags.push('--skip-provider-button=true');
if (story === 'cookie-secure') flags.push('--http-address=127.0.0.1:4962');
else if (nginx) flags.push('--http-address=127.0.0.1:4962', '--reverse-proxy=true');
else flags.push('--http-address=', '--https-address=127.0.0.1:4962', `--tls-cert-file=${process.env.TLS_CERT}`, `--tls-key-file=${process.env.TLS_KEY}`);
if (story === 'cookie-domain') flags.push('--cookie-domain=.example.com');
if (story === 'csrf-expired') flags.push('--cookie-csrf-expire=5s');
if (story === 'two-tabs-per-request') flags.push('--cookie-csrf-per-request=true');
if (story === 'refresh-failed') flags.push('--cookie-refresh=10s');
const o2p = spawn(process.env.O2P || 'oauth2-proxy', flags, { stdio: ['ignore', 'inherit', 'inherit'], detached: true,
  env: { ...process.env, SSL_CERT_FILE: process.env.TLS_CERT } });

// --- nginx in front (large-cookie-nginx): its defaults but for TLS and
// the proxy headers an ingress sets ---
let ngx;
if (nginx) {
  mkdirSync(join(work, 'tmp'));
  writeFileSync(join(work, 'nginx.conf'), `daemon off;
worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${work}/tmp/body;
  proxy_temp_path ${work}/tmp/proxy;
  fastcgi_temp_path ${work}/tmp/fastcgi;
  uwsgi_temp_path ${work}/tmp/uwsgi;
  scgi_temp_path ${work}/tmp/scgi;
  server {
    listen 127.0.0.1:4963 ssl;
    server_name app.lab.test;
    ssl_certificate ${process.env.TLS_CERT};
    ssl_certificate_key ${process.env.TLS_KEY};
    location / {
      proxy_pass http://127.0.0.1:4962;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`);
  ngx = spawn('nginx', ['-c', join(work, 'nginx.conf')], { stdio: 'inherit', detached: true });
}
for (let i = 0; i < 50; i++) {
  await sleep(200);
  try { await fetch(`${story === 'cookie-secure' || nginx ? 'http' : 'https'}://127.0.0.1:4962/ping`); break; } catch {}
}

const chromium = await browser({
  args: ['--ignore-certificate-errors', '--host-resolver-rules=MAP app.lab.test 127.0.0.1'],
  env: process.env.SSLKEYLOGFILE ? { SSLKEYLOGFILE: process.env.SSLKEYLOGFILE } : {},
});

async function tab() {
  const t = await chromium.tab();
  // oauth2-proxy's pages load its Bulma and Font Awesome style sheets and
  // fonts from /oauth2/static/ (some 400 KB): kept off the wire so the
  // recordings stay small; the pages themselves are untouched.
  await t.send('Network.setBlockedURLs', { urls: ['*/oauth2/static/*'] });
  return t;
}
const atLoginForm = `location.host === '127.0.0.1:4961' && !!document.getElementById('username')`;
const signIn = (t) => t.evaluate(`document.getElementById('username').value=${JSON.stringify(USER)};
  document.getElementById('password').value=${JSON.stringify(PASSWORD)}; document.forms[0].submit(); true`);
const page = async (t) => t.evaluate(`location.href + ' | ' + document.title + ' | ' + document.body.innerText.slice(0, 200).replace(/\\s+/g, ' ')`).catch(() => '?');
const loaded = `document.readyState === 'complete' && document.body && document.body.innerText.trim().length > 0`;
const signedIn = `location.href === '${START}' && ${loaded} && !/Sign in with/.test(document.body.innerText)`;
const atCallback = `location.pathname === '${new URL(SENT_CALLBACK).pathname}' && ${loaded}`;

let ok = false;
try {
  const a = await tab();
  await a.send('Page.navigate', { url: START });
  if (story === 'sign-in-page') {
    await a.waitFor(`location.pathname === '/' && ${loaded} && /Sign in with/.test(document.body.innerText)`, "oauth2-proxy's sign-in page");
    console.log(`browser: ${await page(a)}`);
    await sleep(300);
    await a.evaluate(`document.querySelector('form button').click(); true`);
  }
  if (story === 'redirect-mismatch') {
    await a.waitFor(`location.pathname === '/auth' && ${loaded}`, "the provider's error page");
    console.log(`browser: ${await page(a)}`);
    ok = true;
    throw null;
  }
  await a.waitFor(atLoginForm, 'the login form in tab A');
  let b;
  if (story.startsWith('two-tabs')) {
    b = await tab();
    await b.send('Page.navigate', { url: START });
    await b.waitFor(atLoginForm, 'the login form in tab B');
  }
  if (story === 'csrf-expired') await sleep(8000);
  await sleep(300);
  await signIn(a);
  const fails = ['cookie-secure', 'cookie-domain', 'csrf-expired', 'wrong-secret', 'email-domain', 'large-cookie-nginx'];
  if (fails.includes(story)) await a.waitFor(atCallback, 'the refused callback');
  else if (story === 'two-tabs') await a.waitFor(`(${signedIn}) || (${atCallback})`, 'the signed-in page or the refused callback');
  else await a.waitFor(signedIn, 'the signed-in page');
  console.log(`browser: ${await page(a)}`);
  if (b) {
    await sleep(500);
    await signIn(b);
    await sleep(2000);
    console.log(`browser (tab B): ${await page(b)}`);
  }
  if (story === 'reload') {
    const cb = chromium.urls().find((u) => u.startsWith(CALLBACK + '?'));
    if (!cb) throw new Error('no callback');
    await sleep(500);
    await a.send('Page.navigate', { url: cb });
    await sleep(1000);
    await a.waitFor(loaded, 'the reloaded callback');
    console.log(`browser (reload): ${await page(a)}`);
  }
  if (story === 'refresh-failed') {
    await sleep(12000);
    await a.send('Page.navigate', { url: START });
    await sleep(1500);
    await a.waitFor(signedIn, 'the page after the refresh');
    console.log(`browser (12 s later): ${await page(a)}`);
  }
  ok = true;
  await sleep(500);
} catch (e) {
  if (e !== null) console.error(e);
} finally {
  if (ok) {
    const har = await chromium.har(`traceaudit rules/testdata/oauth2-proxy/rec.mjs (${story})`);
    writeFileSync(out, JSON.stringify(har, null, 1) + '\n');
  }
  await chromium.close();
  for (const p of [o2p, ngx]) if (p) try { process.kill(-p.pid, 'SIGTERM'); } catch {}
  await sleep(500);
  if (nginx) try { console.log(readFileSync(join(work, 'error.log'), 'utf8').split('\n').filter((l) => /upstream|error/.test(l)).map((l) => l.replace(/^\S+ \S+ /, '').replace(/client: .*$/, '')).slice(-4).join('\n')); } catch {}
  rmSync(work, { recursive: true, force: true });
  opServer.close();
  process.exit(ok ? 0 : 1);
}
