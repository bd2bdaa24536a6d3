// An Express 4 web app that signs in with openid-client 6 (as
// ../node-webapps/app-oidc6.mjs does: discovery, S256 PKCE, state and nonce in
// an express-session session, authorizationCodeGrant at /cb) and signs out
// the way the recordings' stories need:
//   logout: 'rp'     /logout ends the app's session and sends the browser to
//                    the provider's end_session_endpoint with
//                    client.buildEndSessionUrl (id_token_hint, the
//                    post_logout_redirect_uri and a state kept in a cookie),
//                    the OpenID Connect RP-Initiated Logout 1.0 request
//   logout: 'nohint' the same request without id_token_hint (and without
//                    client_id): an app that threw the ID token away
//   logout: 'local'  /logout ends the app's session only and sends the
//                    browser home: the provider's session lives on
// postLogout is the post_logout_redirect_uri the app sends; /signed-out is
// the page the provider is to send the browser back to, which checks the
// state. Secrets are test-only values.
import express from 'express';
import session from 'express-session';
import * as client from 'openid-client';

export async function start({ op, port, clientId, clientSecret, redirectUri, postLogout, logout }) {
  const config = await client.discovery(new URL(op), clientId, clientSecret);
  const app = express();
  app.use(session({ secret: 'test-only-express-session-secret', resave: false, saveUninitialized: false }));
  const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,"></head><body>${body}</body></html>`;
  app.get('/', (req, res) => {
    const who = req.session.user;
    res.type('html').send(who
      ? page('Home', `<p id="who">Signed in as ${who.replace(/[<>&"]/g, '')}</p><a id="logout" href="/logout">Sign out</a>`)
      : page('Home', '<a id="login" href="/login">Sign in</a>'));
  });
  app.get('/login', async (req, res) => {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    Object.assign(req.session, { codeVerifier, state, nonce });
    res.redirect(client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid profile', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    }).href);
  });
  app.get('/cb', async (req, res, next) => {
    try {
      const currentUrl = new URL(req.originalUrl, `http://${req.headers.host}`);
      const tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: req.session.codeVerifier, expectedState: req.session.state, expectedNonce: req.session.nonce,
      });
      req.session.user = tokens.claims().sub;
      req.session.idToken = tokens.id_token;
      res.redirect('/');
    } catch (e) {
      next(e);
    }
  });
  app.get('/logout', (req, res, next) => {
    const idToken = req.session.idToken;
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('connect.sid');
      if (logout === 'local') return res.redirect('/');
      const state = client.randomState();
      res.cookie('logout_state', state, { httpOnly: true, sameSite: 'lax' });
      const params = { post_logout_redirect_uri: postLogout, state };
      if (logout === 'rp' && idToken) params.id_token_hint = idToken;
      const to = client.buildEndSessionUrl(config, params);
      // buildEndSessionUrl adds client_id; an app that lost the ID token
      // and builds the URL by hand sends neither.
      if (logout === 'nohint') to.searchParams.delete('client_id');
      res.redirect(to.href);
    });
  });
  app.get('/signed-out', (req, res) => {
    const want = (req.headers.cookie || '').match(/(?:^|;\s*)logout_state=([^;]+)/)?.[1];
    res.clearCookie('logout_state');
    res.type('html').send(want && req.query.state === want
      ? page('Signed out', '<p id="bye">You are signed out.</p><a id="login" href="/login">Sign in</a>')
      : page('Sign-out not confirmed', '<p id="bye">The sign-out could not be confirmed.</p>'));
  });
  app.use((err, req, res, next) => {
    const text = `${err.name}: ${err.message}`.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);
    res.status(500).type('html').send(page('Error', `<pre>${text}</pre>`));
  });
  return new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r(s)); });
}
