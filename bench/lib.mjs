// What the bench scripts share.
import net from 'node:net'

/** A TCP port free on 127.0.0.1 right now (the OS picks it; another process could take it later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}
