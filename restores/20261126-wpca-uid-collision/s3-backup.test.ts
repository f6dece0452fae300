import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIncident, type Incident } from '../../src/demo/index.ts';
import { runCli } from '../../test/support/run-cli.ts';
import { type S3TestServer, startS3Server, uploadDir } from '../../test/support/s3-server.ts';

const REPO = join(import.meta.dirname, '../..');
const ID = '20261126-wpca-uid-collision';
const BACKUP = 's3://mysql-backups/mycluster/mycluster-schedule-daily-20261118020000';

/**
 * What deploy/kubernetes runs, through the real CLI: the MySQL Operator's backup (a MySQL Shell dump)
 * read from S3 (s3rver on loopback; endpoint and credentials from the AWS_* environment, as workload
 * identity gives them in a pod), params from ROWBACK_PARAM_*, JSON logs. The first Job stops at the
 * manual re-import step with exit 5; the second continues it with --resume.
 */
describe(`${ID} from an Operator backup in S3, as the Kubernetes Jobs run it`, () => {
  let box: Sandbox;
  let s3: S3TestServer;
  let work: string;
  let incident: Incident;

  beforeAll(async () => {
    box = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'wpcs' });
    work = join(REPO, '.rowback-tmp', `wpca-s3-${randomBytes(4).toString('hex')}`);
    incident = await buildIncident(box.target, { users: 120, seed: 20261126, workDir: work });
    s3 = await startS3Server();
    const [bucket, ...prefix] = BACKUP.slice('s3://'.length).split('/');
    await uploadDir(s3, bucket!, prefix.join('/'), incident.shellDumpDir);
  });
  afterAll(async () => {
    await s3?.stop();
    await box?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('apply stops at the manual step (exit 5), apply --resume finishes: the expected rows, read from S3', async () => {
    const env = {
      ROWBACK_DATABASE_URL: box.url,
      ROWBACK_RESTORES_DIR: join(REPO, 'restores'),
      ROWBACK_PARAM_backup: BACKUP,
      ROWBACK_PARAM_importBatch: incident.importBatch,
      ROWBACK_PARAM_s3PathStyle: 'true',
      ROWBACK_LOG_FORMAT: 'json',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    };
    const args = [
      'apply',
      ID,
      '--yes',
      '--expect-host',
      box.target.server.hostname,
      '--json',
      '--control-schema',
      box.controlSchema,
      '--workspace',
      box.workspaceSchema,
    ];
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(5);
    const stopped = JSON.parse(first.stdout) as RunReport;
    expect(stopped.status).toBe('awaiting');
    expect(stopped.steps.find((s) => s.name === 'reimport')?.error?.name).toBe('ManualStepPendingError');
    const backup = Object.values(stopped.backups)[0] as Record<string, unknown>;
    expect(backup).toMatchObject({ source: `MySQL Shell dump ${BACKUP}`, url: BACKUP, complete: true });
    expect((backup.fetched as { bytes: number }).bytes).toBeGreaterThan(0);
    const logs = first.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.at(-1)).toMatchObject({ event: 'run-end', status: 'awaiting' });

    const second = await runCli([...args, '--resume'], { env });
    expect(second.code, second.stderr).toBe(0);
    const resumed = JSON.parse(second.stdout) as RunReport;
    expect(resumed.status).toBe('done');
    expect(resumed.resumedFrom).toBe(stopped.runId);
    expect(resumed.steps.find((s) => s.name === 'restore-users')?.status).toBe('skipped');
    expect(resumed.steps.find((s) => s.name === 'no unscoped user changed')?.rows).toBe(0);

    const ids = new Set(incident.collidedUserIds.map(String));
    const users = (await box.rows('wp_users', { orderBy: 'ID' })).filter((r) => ids.has(String(r.ID)));
    const meta = (await box.rows('wp_usermeta', { orderBy: 'umeta_id' })).filter((r) =>
      ids.has(String(r.user_id)),
    );
    expect({ wp_users: users, wp_usermeta: meta }).toEqual(incident.expected.allowlist);
  });
});
