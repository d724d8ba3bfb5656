// A real OpenID Provider (the certified `oidc-provider` package) for the single sign-on tests.
//
// It listens on 127.0.0.1 on a free port. Its clients and accounts come from the environment
// variable OIDC_TEST_CONFIG, a JSON object:
//   {"clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."]}],
//    "accounts": {"alice": {"email": "alice@acme.test", "email_verified": true, ...}}}
// An account's claims are returned as they are (the `profile` scope carries the custom ones,
// such as `groups` and `chorus_role`). Sign-in uses the package's development interactions:
// any password is accepted for a login listed in "accounts"; others are refused.
// When ready, one JSON line goes to stdout: {"issuer": "http://127.0.0.1:P"}.
// The process exits when its stdin closes, so it stops with the test run even after a crash.
//
// Usage: OIDC_TEST_CONFIG='{...}' node tests/oidc/server.mjs  (after `npm ci` in tests/oidc)

import { randomBytes } from 'node:crypto'
import http from 'node:http'

import Provider from 'oidc-provider'

const HOST = '127.0.0.1'
const config = JSON.parse(process.env.OIDC_TEST_CONFIG || '{}')
const accounts = config.accounts || {}

const server = http.createServer()
await new Promise((resolve) => server.listen(0, HOST, resolve))
const issuer = `http://${HOST}:${server.address().port}`

const standardClaims = ['email', 'email_verified']
const profileClaims = new Set(['name', 'given_name', 'family_name'])
for (const claims of Object.values(accounts)) {
  for (const name of Object.keys(claims)) {
    if (!standardClaims.includes(name)) profileClaims.add(name)
  }
}

const provider = new Provider(issuer, {
  clients: (config.clients || []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  claims: {
    openid: ['sub'],
    email: standardClaims,
    profile: [...profileClaims],
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(_ctx, sub) {
    const claims = accounts[sub]
    if (!claims) return undefined
    return { accountId: sub, claims: async () => ({ sub, ...claims }) }
  },
  async loadExistingGrant(ctx) {
    // Consent is implied for the test clients: the person only signs in.
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    })
    grant.addOIDCScope('openid email profile')
    grant.addOIDCClaims([...standardClaims, ...profileClaims])
    await grant.save()
    return grant
  },
  renderError(ctx, out) {
    ctx.type = 'html'
    ctx.body = `<!DOCTYPE html><title>Error</title><h1>${out.error}</h1><p>${out.error_description ?? ''}</p>`
  },
})

// The development sign-in form accepts any login; only listed accounts may sign in here.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
    const body = await new Promise((resolve) => {
      let text = ''
      ctx.req.on('data', (chunk) => { text += chunk })
      ctx.req.on('end', () => resolve(new URLSearchParams(text)))
    })
    if (body.get('prompt') === 'login' && !accounts[body.get('login')]) {
      ctx.status = 403
      ctx.type = 'html'
      ctx.body = '<!DOCTYPE html><title>Refused</title><h1>Unknown account</h1>'
      return
    }
    // The body was read: hand it to the provider's own parser.
    ctx.req.body = Object.fromEntries(body)
  }
  await next()
})

server.on('request', provider.callback())
process.stdout.write(`${JSON.stringify({ issuer })}\n`)

process.stdin.resume()
process.stdin.on('end', () => {
  server.close()
  process.exit(0)
})
