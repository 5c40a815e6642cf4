// The tx side's file handling for net_pcap: which path a tx_pcap file really
// is (for claims), opening it with the file header written, and the one write
// per burst that txBurst makes (write(2) through the shim: no allocation).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fdWrite } from '../native';
import { PCAP_FILE_HDR_LEN, fileHeader } from './pcap-format';
import { PortError } from './types';

/** Writes buf[0, len) to fd; false on an OS error (disk full): the caller counts oerrors. */
export function writeAll(fd: number, buf: Uint8Array, len: number): boolean {
  // Native write(2): fs.writeSync would allocate a context object per burst.
  return fdWrite(fd, buf, 0, len) === len;
}

/** The path two ports writing the same file would share: realpath of its directory + name. */
export function txTarget(name: string, file: string): string {
  const abs = path.resolve(file);
  let dir: string;
  try {
    dir = fs.realpathSync(path.dirname(abs));
  } catch {
    throw new PortError(`${name}: tx_pcap ${file}: directory ${path.dirname(abs)} does not exist`);
  }
  const target = path.join(dir, path.basename(abs));
  try {
    return fs.realpathSync(target); // an existing file may be a symlink
  } catch {
    return target;
  }
}

export function openTx(name: string, file: string, target: string): number {
  let fd: number;
  try {
    fd = fs.openSync(target, 'w', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PortError(`${name}: tx_pcap ${file}: cannot open for writing: ${code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message}`);
  }
  if (!writeAll(fd, fileHeader(true), PCAP_FILE_HDR_LEN)) {
    fs.closeSync(fd);
    throw new PortError(`${name}: tx_pcap ${file}: cannot write the file header`);
  }
  return fd;
}
