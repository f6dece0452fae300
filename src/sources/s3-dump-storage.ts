import type { GetObjectCommandOutput, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { SourceError } from '../errors/index.ts';
import type { DumpStorage } from './dump-storage.ts';
import { rangedRead } from './ranged-read.ts';
import { s3SourceError } from './s3-error.ts';
import { parseS3Url } from './s3-location.ts';

/**
 * How to reach a dump in S3 or an S3-compatible store (OCI Object Storage, MinIO, Ceph). Anything left
 * out comes from the AWS SDK's standard chain: `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, the credentials of
 * the environment, a profile, or the pod's workload identity (`AWS_ROLE_ARN` +
 * `AWS_WEB_IDENTITY_TOKEN_FILE`).
 */
export interface S3Options {
  readonly region?: string;
  /** A custom endpoint for S3-compatible stores, e.g. `https://<ns>.compat.objectstorage.<region>.oraclecloud.com`. */
  readonly endpoint?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (most S3-compatible stores). */
  readonly forcePathStyle?: boolean;
  /** Explicit credentials; prefer the standard chain (no secret in code or params). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Bytes per ranged GET of a data file (default 8 MiB). */
  readonly partSize?: number;
  /** Ranged GETs in flight per data file (default 4). */
  readonly concurrency?: number;
  /** Tries per request, counting the first (default 3): the SDK's retries, and a body cut short. */
  readonly maxAttempts?: number;
}

interface ObjectInfo {
  readonly size: number;
  readonly etag: string | undefined;
}

const MiB = 1 << 20;

/**
 * A MySQL Shell dump under an `s3://bucket/prefix`, read in place: one listing of the prefix, small
 * files fetched whole when asked for, data files streamed by ranged parallel GETs pinned to the ETag
 * the listing saw. Nothing is fetched that the reader does not ask for, and nothing goes to disk.
 */
export async function s3DumpStorage(url: string, options: S3Options = {}): Promise<DumpStorage> {
  const location = parseS3Url(url);
  // Loaded on first use: the SDK is large, and most runs never read object storage.
  const sdk = await import('@aws-sdk/client-s3');
  const maxAttempts = options.maxAttempts ?? 3;
  const client: S3Client = new sdk.S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts,
  });
  const where = (file: string) => `${location.url}/${file}`;
  let objects: Map<string, ObjectInfo> | null = null;
  let requests = 0;
  let bytes = 0;
  const objectsOf = (): Map<string, ObjectInfo> => {
    if (!objects) throw new Error('s3DumpStorage: list() first');
    return objects;
  };
  const get = async (file: string, range: string | undefined, signal?: AbortSignal): Promise<Uint8Array> => {
    const info = objectsOf().get(file);
    requests++;
    let response: GetObjectCommandOutput;
    try {
      response = await client.send(
        new sdk.GetObjectCommand({
          Bucket: location.bucket,
          Key: location.prefix + file,
          ...(range ? { Range: range } : {}),
          ...(info?.etag ? { IfMatch: info.etag } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (cause) {
      throw s3SourceError(cause, where(file), location.bucket);
    }
    // A body that breaks off throws here without an HTTP status: rangedRead tries the part again.
    const body = response.Body ? await response.Body.transformToByteArray() : new Uint8Array(0);
    bytes += body.length;
    return body;
  };
  return Object.freeze({
    location: location.url,
    where,
    async list() {
      const found = new Map<string, ObjectInfo>();
      let token: string | undefined;
      do {
        requests++;
        let page: ListObjectsV2CommandOutput;
        try {
          page = await client.send(
            new sdk.ListObjectsV2Command({
              Bucket: location.bucket,
              Prefix: location.prefix,
              // A dump is flat: deeper keys belong to something else (another dump under this one).
              Delimiter: '/',
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
        } catch (cause) {
          throw s3SourceError(cause, location.url, location.bucket);
        }
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          found.set(object.Key.slice(location.prefix.length), {
            size: object.Size ?? 0,
            etag: object.ETag,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      objects = found;
      return new Set(found.keys());
    },
    async read(file: string) {
      const info = objectsOf().get(file);
      if (!info) return null;
      const body = await get(file, undefined);
      if (body.length !== info.size) {
        throw new SourceError(`${where(file)}: got ${body.length} bytes, the listing says ${info.size}`, {
          facts: { file: where(file), expected: info.size, found: body.length, kind: 'truncated' },
        });
      }
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    },
    stream(file: string) {
      const info = objectsOf().get(file);
      if (!info) {
        throw new SourceError(`${where(file)}: no such object`, { facts: { file: where(file) } });
      }
      return rangedRead((start, end, signal) => get(file, `bytes=${start}-${end - 1}`, signal), info.size, {
        partSize: options.partSize ?? 8 * MiB,
        concurrency: options.concurrency ?? 4,
        maxAttempts,
        name: where(file),
      });
    },
    provenance: () => ({
      url: location.url,
      ...(options.endpoint ? { endpoint: redactEndpoint(options.endpoint) } : {}),
      fetched: { requests, bytes },
    }),
    close: () => client.destroy(),
  });
}

function redactEndpoint(endpoint: string): string {
  return endpoint.replace(/\/\/[^/@]*@/, '//');
}
