// Writes the LemonLDAP::NG configuration gen.sh runs the portal with
// (lmConf-1.json in DIR): Debian's default configuration (Demo
// authentication: user dwho, password dwho) with the portal on
// http://127.0.0.1:4950/ as an OpenID Connect provider (its issuer role)
// and one relying party, the recorder's web app (client web-app, redirect
// URI http://localhost:4951/callback, consent asked, PKCE required, its
// authorization codes living CODE_TTL seconds). Usage: node conf.mjs
// DEFAULT.json DIR CODE_TTL KEY.pem PUB.pem. Secrets are test-only values.
import { readFileSync, writeFileSync } from 'node:fs';

const [def, dir, ttl, key, pub] = process.argv.slice(2);
const c = JSON.parse(readFileSync(def, 'utf8'));
Object.assign(c, {
  cfgNum: 1,
  portal: 'http://127.0.0.1:4950/',
  // No Domain attribute on the portal's cookies: host-only on 127.0.0.1.
  domain: '127.0.0.1',
  globalStorageOptions: { Directory: `${dir}/sessions`, LockDirectory: `${dir}/sessions/lock`, generateModule: c.globalStorageOptions.generateModule },
  persistentStorageOptions: { Directory: `${dir}/psessions`, LockDirectory: `${dir}/psessions/lock` },
  localSessionStorageOptions: { ...c.localSessionStorageOptions, cache_root: `${dir}/cache` },
  notification: 0,
  // No background photograph behind the login form (900 KB in every
  // capture).
  portalSkinBackground: '',
  locationRules: { '127.0.0.1': { default: 'accept' } },
  issuerDBOpenIDConnectActivation: 1,
  oidcServiceMetaDataIssuer: 'http://127.0.0.1:4950',
  oidcServicePrivateKeySig: readFileSync(key, 'utf8'),
  oidcServicePublicKeySig: readFileSync(pub, 'utf8'),
  oidcServiceKeyIdSig: 'test-only-key',
  oidcRPMetaDataExportedVars: { 'web-app': { name: 'cn', email: 'mail' } },
  oidcRPMetaDataOptions: {
    'web-app': {
      oidcRPMetaDataOptionsClientID: 'web-app',
      oidcRPMetaDataOptionsClientSecret: 'test-only-lemonldap-client-secret',
      oidcRPMetaDataOptionsDisplayName: 'Web App',
      oidcRPMetaDataOptionsRedirectUris: 'http://localhost:4951/callback',
      oidcRPMetaDataOptionsBypassConsent: 0,
      oidcRPMetaDataOptionsRequirePKCE: 1,
      oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
      oidcRPMetaDataOptionsAuthorizationCodeExpiration: Number(ttl),
    },
  },
});
writeFileSync(`${dir}/conf/lmConf-1.json`, JSON.stringify(c, null, 1));
writeFileSync(`${dir}/lemonldap-ng.ini`, `[all]
logLevel = notice
[configuration]
type = File
dirName = ${dir}/conf
localStorage = Cache::FileCache
localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'cache_root' => '${dir}/cache', 'cache_depth' => 3 }
[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en, fr
`);
