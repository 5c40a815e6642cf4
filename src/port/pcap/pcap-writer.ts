// The tx side's file handling for net_pcap: which path a tx_pcap file really
// is (for claims), opening it with the file header written, and the one write
// per burst that txBurst makes (write(2) through the shim: no allocation).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fdWrite } from '../../native';
import { PCAP_FILE_HDR_LEN, fileHeader } from './pcap-format';
import { PortError } from '../types';

/** Writes buf[0, len) to fd; false on an OS error (disk full): the caller counts oerrors. */
export function writeAll(fd: number, buf: Uint8Array, len: number): boolean {
  return writeSome(fd, buf, len) === len;
}

/** Writes buf[0, len) to fd; returns the bytes that reached the file (fewer on disk full). */
export function writeSome(fd: number, buf: Uint8Array, len: number): number {
  // Native write(2): fs.writeSync would allocate a context object per burst.
  const w = fdWrite(fd, buf, 0, len);
  return w < 0 ? 0 : w;
}

/**
 * Cuts the last `torn` bytes (a record a short write left incomplete) off the
 * file, so tcpdump reads whole records up to the error. Error path only (once
 * per disk-full episode); the file is opened O_APPEND, so later writes follow
 * the cut. Best effort: a file that cannot be cut keeps its torn tail.
 */
export function cutTorn(fd: number, torn: number): void {
  if (torn <= 0) return;
  try {
    fs.ftruncateSync(fd, fs.fstatSync(fd).size - torn);
  } catch {
    // nothing more to do: the records before it are whole
  }
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
    // O_APPEND: after cutTorn shortened the file, the next write lands at its new end.
    const c = fs.constants;
    fd = fs.openSync(target, c.O_WRONLY | c.O_CREAT | c.O_TRUNC | c.O_APPEND, 0o644);
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
