// A real Bluesky PDS and an in-memory PLC directory for the test suite.
//
// Both listen on 127.0.0.1 only, on free ports, with their data in a temporary directory.
// When ready, one JSON line goes to stdout:
//   {"pds": "http://127.0.0.1:P", "plc": "http://127.0.0.1:Q", "admin_password": "...",
//    "jwt_secret": "..."}
// The process exits when its stdin closes, so it stops with the test run even after a crash.
//
// Usage: node tests/pds/server.mjs   (after `npm ci` in tests/pds; `make test` does it)

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const HOST = '127.0.0.1'

// The PDS and the PLC server call `listen(port)` with no host, i.e. on every interface.
// A test server must not be reachable from the network, so a listen without a host gets ours.
const originalListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (args.length === 1 || typeof args[1] === 'function') {
      args.splice(1, 0, HOST)
    }
  } else if (args[0] && typeof args[0] === 'object' && !('path' in args[0])) {
    args[0] = { ...args[0], host: args[0].host ?? HOST }
  }
  return originalListen.apply(this, args)
}

// Logs would mix with the ready line on stdout; keep them off unless asked for on stderr.
if (!process.env.PDS_TEST_LOG) {
  process.env.LOG_ENABLED = 'false'
} else {
  process.env.LOG_ENABLED = 'true'
  process.env.LOG_DESTINATION = '/dev/stderr'
}

// Imported after the environment is set: the loggers read it when first loaded.
const { PDS, envToCfg, envToSecrets } = await import('@atproto/pds')
const plc = (await import('@did-plc/server')).default

const dataDirectory = mkdtempSync(join(tmpdir(), 'chorus-pds-'))
const servers = []
let stopping = false

async function stop(code) {
  if (stopping) return
  stopping = true
  for (const server of servers.reverse()) {
    try {
      await server.destroy()
    } catch {
      // Exiting anyway; the temporary directory goes below.
    }
  }
  rmSync(dataDirectory, { recursive: true, force: true })
  process.exit(code)
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    originalListen.call(probe, 0, HOST, () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

const hex = (bytes) => randomBytes(bytes).toString('hex')

async function main() {
  const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
  servers.push(plcServer)
  const plcListener = await plcServer.start()
  const plcUrl = `http://${HOST}:${plcListener.address().port}`

  // The PDS writes its own URL into every account's DID document, so it needs its port
  // before it starts.
  const port = await freePort()
  const adminPassword = hex(16)
  const env = {
    hostname: 'localhost',
    port,
    devMode: true,
    dataDirectory,
    blobstoreDiskLocation: join(dataDirectory, 'blobs'),
    didPlcUrl: plcUrl,
    inviteRequired: false,
    serviceHandleDomains: ['.test'],
    crawlers: [],
    plcRotationKeyK256PrivateKeyHex: hex(32),
    dpopSecret: hex(32),
    jwtSecret: hex(32),
    adminPassword,
  }
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  servers.push(pds)
  await pds.start()

  process.stdout.write(
    JSON.stringify({
      pds: `http://${HOST}:${port}`,
      plc: plcUrl,
      admin_password: adminPassword,
      // Lets a test age a session's access token to see it refreshed.
      jwt_secret: env.jwtSecret,
    }) + '\n',
  )
}

process.stdin.on('end', () => stop(0))
process.stdin.on('error', () => stop(0))
process.stdin.resume()
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => stop(0))
}

main().catch((error) => {
  process.stderr.write(`The test PDS could not start: ${error?.stack ?? error}\n`)
  stop(1)
})
