// An Express 4 web app signing in with openid-client 6 (its v6 API, as its
// README's authorization code example): discovery, buildAuthorizationUrl
// with an S256 PKCE challenge, a state and a nonce, all three kept in an
// express-session session (its default MemoryStore), then
// authorizationCodeGrant at /cb with pkceCodeVerifier, expectedState and
// expectedNonce. Errors go to the app's own error handler, which writes
// what an app logging openid-client 6's errors shows: the error's name and
// message, its code, the provider's error of a ResponseBodyError and the
// message of its cause (a ClientError's reason is oauth4webapi's error in
// cause: "invalid response encountered" alone says nothing). Secrets are
// test-only values.
import express from 'express';
import session from 'express-session';
import * as client from 'openid-client';

export async function start({ op, port, clientId, clientSecret, redirectUri }) {
  const config = await client.discovery(new URL(op), clientId, clientSecret);
  const app = express();
  app.use(session({ secret: 'test-only-express-session-secret', resave: false, saveUninitialized: false }));
  app.get('/', (req, res) => {
    const who = req.session.user;
    res.type('html').send(who
      ? `<!DOCTYPE html><title>Home</title><p id="who">Signed in as ${who.replace(/[<>&"]/g, '')}</p>`
      : '<!DOCTYPE html><title>Home</title><a id="login" href="/login">Sign in</a>');
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
      res.redirect('/');
    } catch (e) {
      next(e);
    }
  });
  app.use((err, req, res, next) => {
    const lines = [`${err.name}: ${err.message}`];
    if (err.code) lines.push(`code: ${err.code}`);
    if (err.error) lines.push(`error: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`);
    if (err.cause instanceof Error) lines.push(`cause: ${err.cause.message}`);
    const text = lines.join('\n').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);
    res.status(500).type('html').send(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><pre>${text}</pre></body></html>`);
  });
  return new Promise((r) => { const s = app.listen(port, '127.0.0.1', () => r(s)); });
}
