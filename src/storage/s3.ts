// Storage in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, GCS's S3 API), so
// any number of API and worker machines share one set of packages, segments and
// mezzanines. Files that ffmpeg reads are copied into this machine's cache (cache.ts).
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Logger } from '../config/logger.ts';
import { checkKey, checkPrefix, InvalidKeyError, type CachedFile, type Storage, type StoredObject } from './storage.ts';
import { FileCache } from './cache.ts';
import type { StorageSettings } from '../config/index.ts';

/** Bucket, prefix, endpoint, region, path style and credentials, as the config module reads them. */
export type S3Settings = Omit<Extract<StorageSettings, { kind: 's3' }>, 'kind'>;

/** Called on every failed storage operation; ops metrics count them here. */
export type StorageErrorHook = (op: string) => void;

export class S3Storage implements Storage {
  private readonly client: S3Client;

  constructor(
    private readonly s: S3Settings,
    private readonly cache: FileCache,
    private readonly log?: Logger,
    private readonly onError?: StorageErrorHook,
  ) {
    const config: S3ClientConfig = {
      region: s.region,
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      credentials: s.credentials,
      // Checksums only where S3 requires them: R2, GCS and older MinIO reject or
      // mishandle the newer default trailing checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    this.client = new S3Client(config);
  }

  get describe(): string {
    return `s3://${this.s.bucket}/${this.s.prefix}${this.s.endpoint ? ` at ${this.s.endpoint}` : ''}`;
  }

  private k(key: string): string {
    checkKey(key);
    return this.s.prefix ? `${this.s.prefix}/${key}` : key;
  }

  /** Runs one S3 call; a failure is logged by operation, key and S3's error code only (never credentials or bodies). */
  private async call<T>(op: string, key: string, fn: () => Promise<T>, missing?: T): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof InvalidKeyError) throw e;
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      if (missing !== undefined && (status === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound')) return missing;
      this.onError?.(op);
      this.log?.warn({ op, key, code: err.name, status }, 'storage error');
      throw new Error(`storage ${op} ${key} failed: ${err.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}`);
    }
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.call('put', key, () => this.client.send(new PutObjectCommand({ Bucket: this.s.bucket, Key: this.k(key), Body: data, ContentLength: data.length })));
  }

  async putFile(key: string, file: string): Promise<void> {
    // Multipart for big files (5 MB parts, a few at a time); one PUT for small ones.
    await this.call('put', key, () => new Upload({ client: this.client, params: { Bucket: this.s.bucket, Key: this.k(key), Body: createReadStream(file) }, queueSize: 4 }).done());
    await rm(file, { force: true });
  }

  async get(key: string): Promise<Buffer | null> {
    return this.call(
      'get',
      key,
      async () => {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.k(key) }));
        return Buffer.from(await r.Body!.transformToByteArray());
      },
      null,
    );
  }

  async head(key: string): Promise<{ size: number; mtime: Date } | null> {
    return this.call(
      'head',
      key,
      async () => {
        const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: this.k(key) }));
        return { size: r.ContentLength ?? 0, mtime: r.LastModified ?? new Date(0) };
      },
      null,
    );
  }

  async open(key: string): Promise<StoredObject | null> {
    const h = await this.head(key);
    if (!h) return null;
    return {
      ...h,
      // A Range GET; the stream exists at once and fills when S3 answers.
      stream: (range) => {
        const out = new PassThrough();
        // pipeline: a reader that goes away (a viewer closing the player) ends the S3 GET too.
        this.body(key, range).then(
          (body) => pipeline(body, out).catch(() => {}),
          (e: Error) => out.destroy(e),
        );
        return out;
      },
    };
  }

  private async body(key: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.call('get', key, async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: this.k(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
      return r.Body as Readable;
    });
  }

  async download(key: string, file: string): Promise<boolean> {
    if (!(await this.head(key))) return false;
    await pipeline(await this.body(key), createWriteStream(file));
    return true;
  }

  async cached(key: string): Promise<CachedFile | null> {
    const h = await this.head(key);
    if (!h) return null;
    const ext = key.match(/\.[A-Za-z0-9]+$/)?.[0] ?? '';
    return this.cache.use(FileCache.versionId(this.describe, key, h), ext, async (tmp) => {
      await pipeline(await this.body(key), createWriteStream(tmp));
    });
  }

  async derived(key: string, ext: string, make: (out: string, source: () => Promise<string>) => Promise<void>): Promise<CachedFile | null> {
    const h = await this.head(key);
    if (!h) return null;
    return this.cache.use(FileCache.versionId(this.describe, key, h, ext), ext, async (out) => {
      // The source is only needed to make the file: downloaded beside it, then dropped.
      const src = `${out}.src`;
      try {
        await make(out, async () => {
          await pipeline(await this.body(key), createWriteStream(src));
          return src;
        });
      } finally {
        await rm(src, { force: true });
      }
    });
  }

  async derivedIfMade(key: string, ext: string): Promise<CachedFile | null> {
    const h = await this.head(key);
    return h ? this.cache.peek(FileCache.versionId(this.describe, key, h, ext), ext) : null;
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: this.k(key) })));
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(prefix);
    const base = this.s.prefix ? `${this.s.prefix}/` : '';
    let token: string | undefined;
    do {
      const r = await this.call('list', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.s.bucket, Prefix: base + prefix, ContinuationToken: token })),
      );
      for (const o of r.Contents ?? []) if (o.Key) yield o.Key.slice(base.length);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async ping(): Promise<void> {
    await this.call('ping', '', () => this.client.send(new HeadBucketCommand({ Bucket: this.s.bucket })));
  }
}
