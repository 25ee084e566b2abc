import fs from "node:fs";

/** What the line and tail readers need of a file. */
export interface ReadableFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** Reads up to this many bytes are synchronous calls; longer ones go through libuv's pool. */
const SYNC_READ_MAX = 64 * 1024;

/**
 * An open file whose open, `fstat`, close and short reads are synchronous calls: a few µs each from
 * the page cache, where a round trip through libuv's thread pool cost 25–200 µs apiece on the
 * machines we measure (the main thread sleeps, then wakes), and a short read or a writer's start is
 * mostly those. Reads past `SYNC_READ_MAX` (streaming a long thread, 256 kB at a time), writes
 * through this class, truncations and syncs, which can wait on the disk, still go through the pool.
 */
export class OpenFile implements ReadableFile {
  private constructor(readonly fd: number) {}

  static open(path: string, flags: string | number): OpenFile {
    return new OpenFile(fs.openSync(path, flags));
  }

  /** The file, or `undefined` when there is none at `path`. */
  static openIfExists(path: string, flags: string | number): OpenFile | undefined {
    try {
      return OpenFile.open(path, flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  stat(): fs.Stats {
    return fs.fstatSync(this.fd);
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (length <= SYNC_READ_MAX) {
      try {
        return Promise.resolve({ bytesRead: fs.readSync(this.fd, buffer, offset, length, position) });
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) =>
      fs.read(this.fd, buffer, offset, length, position, (error, bytesRead) =>
        error ? reject(error) : resolve({ bytesRead }),
      ),
    );
  }

  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return new Promise((resolve, reject) =>
      fs.write(this.fd, buffer, offset, length, position, (error, bytesWritten) =>
        error ? reject(error) : resolve({ bytesWritten }),
      ),
    );
  }

  truncate(length: number): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.ftruncate(this.fd, length, (error) => (error ? reject(error) : resolve())),
    );
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.fdatasync(this.fd, (error) => (error ? reject(error) : resolve())),
    );
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) =>
      fs.fsync(this.fd, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
