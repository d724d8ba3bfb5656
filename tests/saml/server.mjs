// A real SAML 2.0 identity provider (auth0's `samlp` package) for the single sign-on tests.
//
// It listens on 127.0.0.1 on a free port. Its keys and accounts come from the environment
// variable SAML_TEST_CONFIG, a JSON object:
//   {"cert": "-----BEGIN CERTIFICATE-----...", "key": "-----BEGIN PRIVATE KEY-----...",
//    "rogue_cert": "...", "rogue_key": "...",          (optional: a pair not in the metadata)
//    "acs_urls": ["http://testserver/accounts/saml/saml-acme/acs/"],
//    "accounts": {"jane": {"email": "jane@acme.test", "attributes": {"department": "Sales"},
//                          "audience": "...", "sign": "assertion|response|rogue"}}}
// The test makes the keys (a certificate generated at test time): none is committed.
// An account's `attributes` go into the assertion as they are; its NameID is its e-mail
// (format emailAddress). `audience` overrides the audience the SP asked for, and `sign` says
// what is signed: the assertion (default), only the response, or the assertion with the rogue
// key — so the tests can show that such answers are refused.
//
// GET /metadata is the IdP metadata; GET /sso takes an AuthnRequest (HTTP-Redirect binding)
// from a listed ACS URL and shows a sign-in form; POST /sso signs in as the typed login (any
// account listed) and answers with the auto-posting form to the SP's ACS (HTTP-POST binding).
// When ready, one JSON line goes to stdout: {"issuer": "<entity ID>", "base_url": "...",
// "metadata_url": "..."}. The process exits when its stdin closes, so it stops with the tests.
//
// Usage: SAML_TEST_CONFIG='{...}' node tests/saml/server.mjs  (after `npm ci` in tests/saml)

import http from 'node:http'

import express from 'express'
import samlp from 'samlp'

const HOST = '127.0.0.1'
const config = JSON.parse(process.env.SAML_TEST_CONFIG || '{}')
const accounts = config.accounts || {}
const acsUrls = new Set(config.acs_urls || [])

const app = express()
const server = http.createServer(app)
await new Promise((resolve) => server.listen(0, HOST, resolve))
const baseUrl = `http://${HOST}:${server.address().port}`
const entityId = `${baseUrl}/metadata`

// The account's attributes as they are; its e-mail as NameID.
function ProfileMapper(account) {
  if (!(this instanceof ProfileMapper)) return new ProfileMapper(account)
  this.account = account
}
ProfileMapper.prototype.getClaims = function () {
  return { ...(this.account.attributes || {}) }
}
ProfileMapper.prototype.getNameIdentifier = function () {
  return {
    nameIdentifier: this.account.email,
    nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  }
}
ProfileMapper.prototype.metadata = []

const escape = (value) =>
  String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

// The AuthnRequest's ACS URL, if it is one this IdP serves; else null.
function requested(req) {
  return new Promise((resolve) => {
    samlp.parseRequest(req, (error, data) => {
      if (error || !data || !acsUrls.has(data.assertionConsumerServiceURL)) resolve(null)
      else resolve(data)
    })
  })
}

app.get(
  '/metadata',
  samlp.metadata({
    issuer: entityId,
    cert: config.cert,
    profileMapper: ProfileMapper,
    redirectEndpointPath: '/sso',
    postEndpointPath: '/sso',
    logoutEndpointPaths: {},
  }),
)

app.get('/sso', async (req, res) => {
  const data = await requested(req)
  if (!data) return res.status(400).type('text').send('Unknown or missing SAMLRequest.')
  res.type('html').send(`<!doctype html>
<html lang="en"><head><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1>
<form method="post" action="/sso">
  <input type="hidden" name="SAMLRequest" value="${escape(req.query.SAMLRequest)}">
  <input type="hidden" name="RelayState" value="${escape(req.query.RelayState)}">
  <label>Login <input name="login" autocomplete="off"></label>
  <button type="submit">Sign in</button>
</form></body></html>`)
})

app.post('/sso', express.urlencoded({ extended: false }), async (req, res, next) => {
  const data = await requested(req)
  if (!data) return res.status(400).type('text').send('Unknown or missing SAMLRequest.')
  const account = accounts[req.body.login]
  if (!account) return res.status(401).type('text').send('Unknown login.')
  const rogue = account.sign === 'rogue'
  const acs = data.assertionConsumerServiceURL
  samlp.auth({
    issuer: entityId,
    cert: rogue ? config.rogue_cert : config.cert,
    key: rogue ? config.rogue_key : config.key,
    audience: account.audience,
    recipient: acs,
    destination: acs,
    lifetimeInSeconds: 300,
    signAssertion: account.sign !== 'response',
    signResponse: account.sign === 'response',
    profileMapper: ProfileMapper,
    getUserFromRequest: () => account,
    getPostURL: (audience, dom, request, callback) => callback(null, acs),
  })(req, res, next)
})

process.stdin.on('end', () => server.close(() => process.exit(0)))
process.stdin.resume()
console.log(JSON.stringify({ issuer: entityId, base_url: baseUrl, metadata_url: entityId }))
