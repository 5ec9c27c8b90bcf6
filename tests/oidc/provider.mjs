// Loopback OpenID Provider for the eMeistring gateway's integration tests. TEST ONLY.
//
// Wraps panva's oidc-provider (9.13.3) and looks like
//   * ID-porten / BankID to patients: synthetic fødselsnummer in `pid` (scope openid) and
//     `nnin_altsub` (scope nnin_altsub), acr idporten-loa-high|substantial, amr ["BankID"]
//   * HelseID to systems and personnel: private_key_jwt client_credentials clients, JWT access
//     tokens carrying helseid://claims/... (orgnr_parent, hpr_number, security_level)
// PKCE (S256) is required for every client; code flow only; RS256 + ES256 signing keys.
// JWT access tokens (typ at+jwt, aud = the FHIR audience) whenever a SMART scope is asked for,
// DPoP-bound (cnf.jkt) when the token request carries a DPoP proof.
//
// Prints `READY <issuer> port=<n> pid=<pid>` on stdout once listening; stops on SIGTERM/SIGINT.
// Environment (see README.md):
//   OIDC_PORT (9400; 0 = any free port)     OIDC_HOST (must be 127.0.0.1)
//   OIDC_JWKS_FILE (persist / rotate keys)  OIDC_AUTO_LOGIN=1 (log in from login_hint on GET)
//   OIDC_REDIRECT_URIS, OIDC_POST_LOGOUT_REDIRECT_URIS (comma-separated)
//   OIDC_BACKCHANNEL_LOGOUT_URI             OIDC_FHIR_AUDIENCE (urn:emeistring:fhir)
//   OIDC_M2M_PUBKEY_PEM (path or PEM text)  OIDC_M2M_CLIENTS (extra system client ids, a,b,c)
//   OIDC_ORGNR_PARENT (999999999)           OIDC_ID_TOKEN_TTL / OIDC_ACCESS_TOKEN_TTL (seconds)
//   OIDC_EXTRA_SCOPES (space-separated extra resource-server scopes)
// Never expose beyond loopback; the secrets below are deliberately public.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const die = (msg) => { process.stderr.write(`oidc-provider test harness: ${msg}\n`); process.exit(2); };

// ---------------------------------------------------------------- environment
const env = process.env;
const HOST = '127.0.0.1';
if (env.OIDC_HOST && env.OIDC_HOST !== HOST) die(`OIDC_HOST must be ${HOST} (got "${env.OIDC_HOST}")`);
const PORT = env.OIDC_PORT === undefined || env.OIDC_PORT === '' ? 9400 : Number(env.OIDC_PORT);
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) die(`bad OIDC_PORT "${env.OIDC_PORT}"`);
const list = (v, dflt) => { const l = String(v || '').split(',').map((s) => s.trim()).filter(Boolean); return l.length ? l : dflt; };
const REDIRECT_URIS = list(env.OIDC_REDIRECT_URIS, ['http://127.0.0.1:8400/callback']);
const POST_LOGOUT_REDIRECT_URIS = list(env.OIDC_POST_LOGOUT_REDIRECT_URIS, ['http://127.0.0.1:8400/logged-out']);
const BACKCHANNEL_LOGOUT_URI = (env.OIDC_BACKCHANNEL_LOGOUT_URI || '').trim();
const FHIR_AUDIENCE = env.OIDC_FHIR_AUDIENCE || 'urn:emeistring:fhir';
const ORGNR_PARENT = env.OIDC_ORGNR_PARENT || '999999999';
if (!/^\d{9}$/.test(ORGNR_PARENT)) die(`OIDC_ORGNR_PARENT must be 9 digits (got "${ORGNR_PARENT}")`);
const ttl = (name, dflt) => {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) die(`${name} must be a positive integer (seconds), got "${v}"`);
  return n;
};
const ID_TOKEN_TTL = ttl('OIDC_ID_TOKEN_TTL', 300);
const ACCESS_TOKEN_TTL = ttl('OIDC_ACCESS_TOKEN_TTL', 300);
const ACR = ['idporten-loa-substantial', 'idporten-loa-high'];

// ---------------------------------------------------------------- fødselsnummer
const W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
const checkDigit = (digits, weights) => {
  const k = (11 - (weights.reduce((s, w, i) => s + w * digits[i], 0) % 11)) % 11;
  return k === 10 ? null : k; // remainder 1 -> unusable individnummer
};
export function isValidFnr(s) {
  if (!/^\d{11}$/.test(s)) return false;
  const d = [...s].map(Number);
  return checkDigit(d, W1) === d[9] && checkDigit(d, W2) === d[10];
}
// Only synthetic numbers are accepted: Tenor (month+80) or NAV/Dolly (month+40).
const isSynthetic = (s) => isValidFnr(s) && ['4', '5', '8', '9'].includes(s[2]);

// Static test persons, all synthetic (Skatteetaten Tenor convention: month + 80).
// Patients log in through "ID-porten"; personnel (with an HPR number) through "HelseID".
const PERSONS = {
  kari: { pid: '17829010097', given_name: 'Kari', family_name: 'Nordmann', birthdate: '1990-02-17' },
  ola: { pid: '05918510143', given_name: 'Ola', family_name: 'Nordmann', birthdate: '1985-11-05' },
  dnr: { pid: '52867520066', given_name: 'Dina', family_name: 'Dnummer', birthdate: '1975-06-12' },
  terapeut: { pid: '14837821089', given_name: 'Tora', family_name: 'Terapeut', birthdate: '1978-03-14', hpr_number: '9144900' },
  terapeut2: { pid: '29898233071', given_name: 'Trond', family_name: 'Terapeut', birthdate: '1982-09-29', hpr_number: '9144901' },
};
// Opaque, stable across restarts and ports (the issuer changes with OIDC_PORT=0).
const subFor = (pid) => crypto.createHash('sha256').update(`emeistring-oidc-test|${pid}`).digest('base64url').slice(0, 27);
const bySub = new Map();
function registerPerson(p) {
  if (!isSynthetic(p.pid)) throw new Error(`not a valid synthetic fnr: ${p.pid}`);
  const sub = subFor(p.pid);
  bySub.set(sub, { ...p, sub });
  return sub;
}
Object.values(PERSONS).forEach(registerPerson);

// alias ("kari"), BankID-style login_hint ("BID:17829010097") or any synthetic fnr
function resolveLogin(raw) {
  const v = String(raw || '').trim().replace(/^[A-Z]{3}:/, '');
  if (PERSONS[v]) return subFor(PERSONS[v].pid);
  if (isSynthetic(v)) {
    const sub = subFor(v);
    if (!bySub.has(sub)) registerPerson({ pid: v, given_name: 'Test', family_name: `Person ${v.slice(-5)}`, birthdate: undefined });
    return sub;
  }
  return undefined;
}

// ---------------------------------------------------------------- signing keys
function makeKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const stamp = Date.now().toString(36);
  return { keys: [{ ...rsa, kid: `rs-${stamp}`, alg: 'RS256', use: 'sig' }, { ...ec, kid: `es-${stamp}`, alg: 'ES256', use: 'sig' }] };
}
let jwks;
const jwksFile = env.OIDC_JWKS_FILE;
if (jwksFile && fs.existsSync(jwksFile)) jwks = JSON.parse(fs.readFileSync(jwksFile, 'utf8'));
else {
  jwks = makeKeys();
  if (jwksFile) fs.writeFileSync(jwksFile, JSON.stringify(jwks), { mode: 0o600 });
}

// ---------------------------------------------------------------- clients
const gateway = { // confidential web client (the gateway's BFF), RS256 ID tokens
  client_id: 'emeistring-gateway',
  client_secret: 'test-only-secret-0123456789abcdef',
  token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: REDIRECT_URIS,
  post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  id_token_signed_response_alg: 'RS256',
};
if (BACKCHANNEL_LOGOUT_URI) {
  gateway.backchannel_logout_uri = BACKCHANNEL_LOGOUT_URI;
  gateway.backchannel_logout_session_required = true;
}
const isLoopback = (u) => { try { return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(u).hostname); } catch { return false; } };
const nativeRedirects = REDIRECT_URIS.filter((u) => u.startsWith('http://') && isLoopback(u));
const clients = [
  gateway,
  { // public native client, ES256 ID tokens (PKCE is its only protection)
    client_id: 'emeistring-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: nativeRedirects.length ? nativeRedirects : ['http://127.0.0.1:8400/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  },
];
if (env.OIDC_M2M_PUBKEY_PEM) { // HelseID-like system clients: private_key_jwt + client_credentials
  const src = env.OIDC_M2M_PUBKEY_PEM.includes('-----BEGIN') ? env.OIDC_M2M_PUBKEY_PEM : fs.readFileSync(env.OIDC_M2M_PUBKEY_PEM);
  const jwk = crypto.createPublicKey(src).export({ format: 'jwk' });
  const ids = new Set(['helseid-like-system', ...list(env.OIDC_M2M_CLIENTS, [])]);
  for (const client_id of ids) {
    clients.push({
      client_id,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks: { keys: [{ ...jwk, kid: 'm2m-1', alg: 'RS256', use: 'sig' }] },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [], // allowed system/* scopes come from the resource server definition below
    });
  }
} else if (env.OIDC_M2M_CLIENTS) die('OIDC_M2M_CLIENTS needs OIDC_M2M_PUBKEY_PEM');

// ---------------------------------------------------------------- resource server (FHIR)
const SMART = /^(patient|user|system)\/[A-Za-z*]+\.(c?r?u?d?s?|read|write|\*)$/;
const RS_SCOPES = [
  'patient/*.rs', 'patient/*.cruds', 'user/*.rs', 'user/*.cruds', 'system/*.rs', 'system/*.cruds',
  'system/Patient.rs', 'system/QuestionnaireResponse.c', 'system/QuestionnaireResponse.rs', 'system/Observation.rs',
  'launch/patient',
  ...String(env.OIDC_EXTRA_SCOPES || '').split(/\s+/).filter(Boolean),
];
const RS_SCOPE_SET = new Set(RS_SCOPES);
const isResourceScope = (s) => RS_SCOPE_SET.has(s) || SMART.test(s);
const fhirServer = {
  scope: [...RS_SCOPE_SET].join(' '),
  audience: FHIR_AUDIENCE,
  accessTokenFormat: 'jwt',
  accessTokenTTL: ACCESS_TOKEN_TTL,
  jwt: { sign: { alg: 'ES256' } },
};

// HelseID-style claims in JWT access tokens.
async function extraTokenClaims(ctx, token) {
  const claims = { 'helseid://claims/client/claims/orgnr_parent': ORGNR_PARENT };
  const p = token.accountId ? bySub.get(token.accountId) : undefined;
  if (p) {
    claims.pid = p.pid;
    if (p.hpr_number) {
      claims['helseid://claims/identity/pid'] = p.pid;
      claims['helseid://claims/hpr/hpr_number'] = p.hpr_number;
      claims['helseid://claims/identity/security_level'] = '4';
    }
  }
  return claims;
}

function buildConfiguration() {
  return {
    clients,
    jwks,
    responseTypes: ['code'], // code flow only, like BankID OIDC / ID-porten / HelseID
    pkce: { required: () => true }, // S256 only in v9
    acrValues: ACR,
    scopes: ['openid', 'offline_access', 'profile', 'nnin_altsub'],
    claims: {
      acr: null, amr: null, auth_time: null, sid: null, iss: null,
      openid: ['sub', 'pid', 'locale', 'acr', 'amr', 'auth_time'], // ID-porten: pid comes with plain openid
      profile: ['name', 'given_name', 'family_name', 'birthdate'],
      nnin_altsub: ['nnin_altsub'], // BankID OIDC: fødselsnummer behind its own scope
    },
    conformIdTokenClaims: false, // put scope claims in the ID token (like ID-porten/BankID)
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    clientBasedCORS: () => false,
    // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection); the
    // gateway under test listens on loopback, so back-channel logout to 127.0.0.1 is let through
    // here. Any other destination keeps the protection.
    fetch: (url, options) => {
      if (new URL(url).hostname === '127.0.0.1') delete options.dispatcher;
      return globalThis.fetch(url, options);
    },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL, AuthorizationCode: 60, IdToken: ID_TOKEN_TTL, Interaction: 600,
      Session: 3600, Grant: 3600, RefreshToken: 3600, ClientCredentials: ACCESS_TOKEN_TTL,
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { ctx.type = 'html'; ctx.body = `<!DOCTYPE html><title>logout</title>${form}`; },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => {
          if (oneOf) return oneOf;
          const scopes = String(ctx.oidc.params?.scope || '').split(' ');
          return scopes.some(isResourceScope) ? FHIR_AUDIENCE : undefined;
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator === FHIR_AUDIENCE) return fhirServer;
          throw new Error('unknown resource indicator');
        },
      },
    },
    extraTokenClaims,
    async findAccount(ctx, sub) {
      const p = bySub.get(sub);
      if (!p) return undefined;
      return {
        accountId: sub,
        async claims() {
          const name = `${p.given_name} ${p.family_name}`;
          return { sub, pid: p.pid, nnin_altsub: p.pid, locale: 'nb', name, given_name: p.given_name, family_name: p.family_name, birthdate: p.birthdate };
        },
      };
    },
    async loadExistingGrant(ctx) { // first-party test clients: consent is implicit
      const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (id) { const g = await ctx.oidc.provider.Grant.find(id); if (g) return g; }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      for (const [indicator, rs] of Object.entries(ctx.oidc.resourceServers || {})) {
        grant.addResourceScope(indicator, [...ctx.oidc.requestParamScopes].filter((s) => rs.scopes.has(s)).join(' '));
      }
      await grant.save();
      return grant;
    },
    renderError: async (ctx, out) => { ctx.type = 'json'; ctx.body = out; },
  };
}

// ---------------------------------------------------------------- interactions
let provider; // created once the port (and so the issuer) is known
let ISSUER;

const readForm = (req) => new Promise((resolve, reject) => {
  let b = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { b += c; if (b.length > 1e5) req.destroy(); });
  req.on('end', () => resolve(new URLSearchParams(b)));
  req.on('error', reject);
});
const send = (res, status, type, body) => { res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }); res.end(body); };

function loginResult(sub, params, form) {
  const requested = String(params.acr_values || '').split(' ').filter((a) => ACR.includes(a));
  const acr = ACR.includes(form?.get('acr')) ? form.get('acr') : (requested.includes('idporten-loa-high') || !requested.length ? 'idporten-loa-high' : requested[0]);
  return { login: { accountId: sub, acr, amr: [form?.get('amr') || 'BankID'], remember: true } };
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  const { prompt, params } = details;
  if (action === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'aborted' }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'consent') { // should not normally happen (loadExistingGrant), auto-grant anyway
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [ind, sc] of Object.entries(prompt.details.missingResourceScopes || {})) grant.addResourceScope(ind, sc.join(' '));
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const sub = resolveLogin(form.get('login'));
    if (!sub) return send(res, 400, 'application/json', JSON.stringify({ error: 'unknown_or_non_synthetic_login' }));
    return provider.interactionFinished(req, res, loginResult(sub, params, form), { mergeWithLastSubmission: false });
  }
  const hinted = resolveLogin(params.login_hint);
  if (env.OIDC_AUTO_LOGIN === '1' && hinted) {
    return provider.interactionFinished(req, res, loginResult(hinted, params), { mergeWithLastSubmission: false });
  }
  if ((req.headers.accept || '').includes('application/json')) {
    return send(res, 200, 'application/json', JSON.stringify({ uid, prompt: prompt.name, client_id: params.client_id, login_hint: params.login_hint, submit: `/interaction/${uid}/login` }));
  }
  return send(res, 200, 'text/html; charset=utf-8', `<!DOCTYPE html><title>Test login</title>
<form method="post" action="/interaction/${uid}/login"><label>Test person (kari|ola|dnr|terapeut|terapeut2 or synthetic fnr)
<input name="login" autofocus></label><select name="acr"><option>idporten-loa-high</option><option>idporten-loa-substantial</option></select>
<button>Logg inn</button></form><a href="/interaction/${uid}/abort">Avbryt</a>`);
}

// ---------------------------------------------------------------- server
let callback;
const server = http.createServer((req, res) => {
  if (!callback) return send(res, 503, 'text/plain', 'starting');
  const m = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(new URL(req.url, ISSUER).pathname);
  if (!m) return callback(req, res);
  return interaction(req, res, m[1], m[2]).catch((err) => send(res, 400, 'application/json', JSON.stringify({ error: err.name, error_description: err.message })));
});
server.on('error', (err) => die(`listen on ${HOST}:${PORT} failed: ${err.message}`));
server.listen(PORT, HOST, () => {
  const { port } = server.address();
  ISSUER = `http://${HOST}:${port}`;
  try {
    provider = new Provider(ISSUER, buildConfiguration());
  } catch (err) {
    die(`configuration rejected: ${err.message}`);
  }
  provider.proxy = false;
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack || err}\n`));
  provider.on('backchannel.error', (ctx, err, client) => process.stderr.write(`backchannel.error ${client.clientId}: ${err.message} ${err.cause ? err.cause.code + " " + err.cause.message : ""}\n`));
  callback = provider.callback();
  process.stdout.write(`READY ${ISSUER} port=${port} pid=${process.pid}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
