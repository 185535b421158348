// Lingering close (nginx's `lingering_close`, Apache's lingering close; RFC 9112 §9.6): a refusal
// sent before the request body was read (a 413 for an upload over the limit) closes the connection,
// but the client is still sending. node's http server destroys the socket as soon as the answer is
// flushed; bytes still arriving at a closed socket make the kernel answer with a reset, and a client
// busy writing then fails with EPIPE/ECONNRESET without reading the 413 waiting in its buffer (node's
// own http client does). So: send the answer and our FIN, read and discard until the client closes
// its side or LINGER_MS passes, then close.
import type { Socket } from 'node:net';

/** How long we go on reading after the answer, at most (nginx reads up to 30 s; the answer only needs to be read). */
export const LINGER_MS = 2_000;

/**
 * Makes node's close-after-response on this socket a lingering one. Called when a `Connection: close`
 * answer goes out while the request body is still arriving; node's http server calls
 * `socket.destroySoon()` once the answer is written.
 */
export function lingerOnClose(socket: Socket): void {
  if (socket.destroyed) return;
  socket.destroySoon = function lingeringDestroySoon(this: Socket) {
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    this.once('end', () => this.destroy());
    this.once('close', () => clearTimeout(timer));
    // node stopped reading when nobody consumed the refused body. Its http parser reads straight from
    // the handle and restarts it on 'resume', which a flowing stream only emits after a pause. The
    // request was dumped when the answer finished, so what arrives now is parsed and thrown away.
    this.pause();
    this.resume();
  };
}
