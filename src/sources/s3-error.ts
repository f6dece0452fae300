import { SourceError } from '../errors/index.ts';

const ACCESS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'Forbidden',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

/**
 * An S3 SDK failure as SourceError, told apart by what the operator must fix: the bucket name, the
 * credentials (the standard chain: env, profile, the pod's web identity), or the network. The message
 * names the object and the store's code, never a credential.
 */
export function s3SourceError(cause: unknown, where: string, bucket: string): SourceError {
  const error = cause as {
    name?: string;
    Code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = error.Code ?? error.name ?? 'Error';
  const status = error.$metadata?.httpStatusCode;
  const facts = { file: where, bucket, code, ...(status ? { status } : {}) };
  if (code === 'NoSuchBucket') {
    return new SourceError(`${where}: the bucket ${bucket} does not exist (NoSuchBucket)`, {
      cause,
      facts: { ...facts, kind: 'missing-bucket' },
      hint: 'check the bucket in the s3:// URL, and the endpoint and region it is looked up at',
    });
  }
  if (ACCESS.has(code) || status === 401 || status === 403) {
    return new SourceError(
      `${where}: the object store refused access (${code}${status ? `, HTTP ${status}` : ''})`,
      {
        cause,
        facts: { ...facts, kind: 'access' },
        hint: "check the credentials rowback found in the standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the pod's workload identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) and that they may list and read this prefix",
      },
    );
  }
  if (code === 'PreconditionFailed' || status === 412) {
    return new SourceError(
      `${where}: the object changed while it was being read (its ETag no longer matches)`,
      {
        cause,
        facts: { ...facts, kind: 'changed' },
        hint: 'a dump being rewritten cannot be read consistently; wait until it is finished and run again',
      },
    );
  }
  return new SourceError(`${where}: cannot fetch it (${code}: ${error.message ?? String(cause)})`, {
    cause,
    facts: { ...facts, kind: 'fetch' },
    hint: 'check the endpoint, region and network to the object store',
  });
}
