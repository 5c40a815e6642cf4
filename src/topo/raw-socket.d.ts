// Types for the parts of raw-socket 1.8 that check.ts uses. Only check.ts may
// load the module (lazily, main thread only): it binds to libuv's default loop.
declare module 'raw-socket' {
  import type { EventEmitter } from 'node:events';

  export interface Socket extends EventEmitter {
    on(event: 'message', cb: (buffer: Buffer, source: string) => void): this;
    on(event: 'error', cb: (e: Error) => void): this;
    on(event: 'close', cb: () => void): this;
    send(buffer: Buffer, offset: number, length: number, address: string,
      beforeCallback: () => void, afterCallback: (error: Error | null, bytes: number) => void): this;
    close(): this;
  }
  export const Protocol: { ICMP: number };
  export const AddressFamily: { IPv4: number };
  /** Opens the raw socket at once, in the calling thread's network namespace. */
  export function createSocket(options: { protocol: number; addressFamily?: number; bufferSize?: number }): Socket;
}
