import { UsageError } from '../errors/index.ts';

/** A dump's place in object storage: `s3://<bucket>/<prefix>`; the prefix is '' or ends in '/'. */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
  /** `s3://bucket/prefix` as given, without a trailing slash, for messages. */
  readonly url: string;
}

export function isS3Url(location: string): boolean {
  return /^s3:\/\//i.test(location);
}

/** Parses `s3://bucket/prefix/…`; the dump's files are the objects directly under the prefix. */
export function parseS3Url(location: string): S3Location {
  const match = /^s3:\/\/([^/?#]+)\/?(.*)$/i.exec(location);
  if (!match || match[2]!.includes('?') || match[2]!.includes('#')) {
    throw new UsageError(`${location} is not an s3:// URL of a dump`, {
      hint: 'write it as s3://<bucket>/<prefix of the dump>, e.g. s3://backups/mysql/backup-20261125',
    });
  }
  const bucket = match[1]!;
  const path = match[2]!.replace(/\/+$/, '');
  return Object.freeze({
    bucket,
    prefix: path ? `${path}/` : '',
    url: `s3://${bucket}${path ? `/${path}` : ''}`,
  });
}
