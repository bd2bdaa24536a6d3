// The two single-page apps, served as static files over plain HTTP (a
// secure context on localhost): MSAL.js 5 on :4942, oidc-client-ts 3 on
// :4943, each library's own browser build from node_modules as the page's
// script from a static server of its own (CDN, http://127.0.0.1:4944: the
// capture leaves its port out). redirectOverride configures the app with a
// redirect URI the client has not registered (the redirect-mismatch story);
// twice makes it handle the sign-in's answer twice, as a React 18 effect
// does under StrictMode when nothing guards it (the double-callback story);
// revokeOnSignout turns oidc-client-ts's revokeTokensOnSignout on (the
// signout-revoke story).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const msalDir = join(dirname(require.resolve('@azure/msal-browser/package.json')), 'lib');
const oidcDir = join(dirname(require.resolve('oidc-client-ts/package.json')), 'dist', 'browser');

const sites = {
  msal: {
    '/': 'app/msal.html', '/redirect.html': 'app/msal-redirect.html',
  },
  // MSAL.js in its default AAD mode against the Entra-shaped provider
  // (entra.mjs, rec-entra.mjs).
  'msal-aad': {
    '/': 'app/msal-aad.html', '/redirect.html': 'app/msal-redirect.html',
  },
  oidc: {
    '/': 'app/oidc.html', '/callback.html': 'app/oidc-callback.html', '/silent.html': 'app/oidc-silent.html',
    '/popup.html': 'app/oidc-popup.html', '/signed-out.html': 'app/oidc-signed-out.html',
  },
  cdn: {
    '/msal-browser@5.31.0/msal-browser.min.js': join(msalDir, 'msal-browser.min.js'),
    '/msal-browser@5.31.0/msal-redirect-bridge.min.js': join(msalDir, 'redirect-bridge', 'msal-redirect-bridge.min.js'),
    '/oidc-client-ts@3.5.0/oidc-client-ts.min.js': join(oidcDir, 'oidc-client-ts.min.js'),
  },
};

export function startApp({ site, port, redirectOverride, twice, revokeOnSignout }) {
  const files = sites[site];
  return createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const f = files[path];
    if (!f) { res.writeHead(404, { 'Content-Type': 'text/plain' }); res.end('Not Found'); return; }
    let body = readFileSync(f.startsWith('/') ? f : join(here, f), 'utf8');
    if (f.endsWith('.html') && twice) body = body.replace('<head>', '<head><script>window.HANDLE_TWICE = true;</script>');
    if (f.endsWith('.html') && revokeOnSignout) body = body.replace('<head>', '<head><script>window.OIDC_REVOKE_ON_SIGNOUT = true;</script>');
    if (f.endsWith('.html') && redirectOverride) {
      const v = site.startsWith('msal') ? 'MSAL_REDIRECT_URI' : 'OIDC_REDIRECT_URI';
      body = body.replace('<head>', `<head><script>window.${v} = ${JSON.stringify(redirectOverride)};</script>`);
    }
    res.writeHead(200, f.endsWith('.js')
      ? { 'Content-Type': 'text/javascript', 'Cache-Control': 'public, max-age=31536000, immutable' }
      : { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  }).listen(port, '127.0.0.1');
}
