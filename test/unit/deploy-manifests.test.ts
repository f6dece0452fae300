import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseConnectionUrl } from 'rowback';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { params as wpcaParams } from '../../restores/20261126-wpca-uid-collision/params.ts';

const REPO = join(import.meta.dirname, '../..');
const DEPLOY = join(REPO, 'deploy');

interface Manifest {
  readonly file: string;
  readonly doc: Record<string, any>;
}

/** Every object of every YAML file under deploy/ (multi-document files split). */
async function manifests(): Promise<Manifest[]> {
  const out: Manifest[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (/\.ya?ml$/.test(entry.name)) {
        for (const document of parseAllDocuments(await readFile(path, 'utf8'))) {
          expect(document.errors, relative(REPO, path)).toEqual([]);
          out.push({ file: relative(REPO, path), doc: document.toJS() });
        }
      }
    }
  };
  await walk(DEPLOY);
  return out;
}

/** The Kubernetes (and ArgoCD) schema of each kind the manifests use. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'batch/v1 Job': Job,
  'v1 ConfigMap': ConfigMap,
  'v1 ServiceAccount': ServiceAccount,
  'rbac.authorization.k8s.io/v1 Role': Role,
  'rbac.authorization.k8s.io/v1 RoleBinding': RoleBinding,
  'argoproj.io/v1alpha1 Application': Application,
};

const ofKind = (all: readonly Manifest[], kind: string) => all.filter((m) => m.doc.kind === kind);

describe('deploy/: Kubernetes manifests', () => {
  it('every object validates against the schema of its kind; kustomizations list files that exist', async () => {
    const all = await manifests();
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const { file, doc } of all) {
      if (doc.kind === 'Kustomization') {
        for (const resource of doc.resources as string[]) {
          const dir = join(REPO, file, '..');
          expect(
            (await readdir(dir)).includes(resource),
            `${file} lists ${resource}, which is not beside it`,
          ).toBe(true);
        }
        continue;
      }
      const Model = MODELS[`${doc.apiVersion} ${doc.kind}`];
      expect(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new Model!(doc).validate(), file).not.toThrow();
    }
    // The validation is not a formality: a wrong type is refused.
    const job = structuredClone(ofKind(all, 'Job')[0]!.doc);
    job.spec.backoffLimit = 'none';
    expect(() => new Job(job as never).validate()).toThrow(/backoffLimit must be integer/);
  });

  it('the Jobs run apply as non-root on a read-only root filesystem, never retried, with the password from a Secret file', async () => {
    const all = await manifests();
    const jobs = ofKind(all, 'Job');
    expect(jobs.map((j) => j.doc.metadata.name).sort()).toEqual([
      'rowback-apply',
      'rowback-plan',
      'rowback-resume',
    ]);
    const configMap = ofKind(all, 'ConfigMap')[0]!.doc;
    for (const { file, doc } of jobs) {
      const pod = doc.spec.template.spec;
      expect(doc.spec.backoffLimit, file).toBe(0);
      expect(pod.restartPolicy, file).toBe('Never');
      expect(pod.automountServiceAccountToken, file).toBe(false);
      expect(pod.securityContext.runAsNonRoot, file).toBe(true);
      expect(pod.securityContext.runAsUser, file).toBeGreaterThan(0);
      const [container] = pod.containers;
      expect(container.securityContext, file).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(container.args.slice(0, 2), file).toEqual([
        doc.metadata.name === 'rowback-plan' ? 'plan' : 'apply',
        '20261126-wpca-uid-collision',
      ]);
      if (doc.metadata.name !== 'rowback-plan') expect(container.args[2], file).toBe('--yes');
      // Every $(VAR) in args is defined explicitly (Kubernetes expands only those it knows).
      for (const arg of container.args as string[]) {
        const ref = /^\$\((\w+)\)$/.exec(arg)?.[1];
        if (ref)
          expect(
            container.env.map((e: { name: string }) => e.name),
            `${file}: $(${ref})`,
          ).toContain(ref);
      }
      // The password: a file from the Secret, readable by the container's group; never an env value.
      const passwordFile = container.env.find(
        (e: { name: string }) => e.name === 'ROWBACK_DATABASE_PASSWORD_FILE',
      );
      const mount = container.volumeMounts.find((m: { mountPath: string }) =>
        passwordFile.value.startsWith(`${m.mountPath}/`),
      );
      const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
      expect(volume.secret.secretName, file).toBe('rowback-db');
      expect(volume.secret.defaultMode & 0o040, `${file}: group-readable`).toBe(0o040);
      expect(pod.securityContext.fsGroup, file).toBe(pod.securityContext.runAsUser);
      for (const e of container.env) expect(e.value ?? '', file).not.toMatch(/password=|:[^@/]+@/i);
      expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
      // Exit 5 (a manual step) and every other failure end the Job at once.
      expect(doc.spec.podFailurePolicy.rules[0]).toMatchObject({
        action: 'FailJob',
        onExitCodes: { operator: 'NotIn', values: [0] },
      });
      expect(pod.serviceAccountName).toBe(ofKind(all, 'ServiceAccount')[0]!.doc.metadata.name);
    }
    // The resume Job is the apply Job plus --resume, nothing else: the two cannot drift apart.
    const apply = jobs.find((j) => j.doc.metadata.name === 'rowback-apply')!.doc;
    const resume = structuredClone(jobs.find((j) => j.doc.metadata.name === 'rowback-resume')!.doc);
    const args = resume.spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--resume');
    resume.spec.template.spec.containers[0].args = args.filter((a) => a !== '--resume');
    resume.metadata.name = 'rowback-apply';
    expect(resume).toEqual(apply);
    // The plan Job is the apply Job running plan (no confirmation needed), outside ArgoCD's hooks.
    const plan = structuredClone(jobs.find((j) => j.doc.metadata.name === 'rowback-plan')!.doc);
    expect(plan.spec.template.spec.containers[0].args).toEqual([
      'plan',
      '20261126-wpca-uid-collision',
      '--json',
    ]);
    plan.spec.template.spec.containers[0].args = apply.spec.template.spec.containers[0].args;
    plan.metadata.name = 'rowback-apply';
    plan.metadata.annotations = apply.metadata.annotations;
    expect(plan).toEqual(apply);
  });

  it('the ConfigMap holds no secret, and its params are the module’s', async () => {
    const all = await manifests();
    const data = ofKind(all, 'ConfigMap')[0]!.doc.data as Record<string, string>;
    expect(parseConnectionUrl(data.ROWBACK_DATABASE_URL!).password).toBeUndefined();
    for (const key of Object.keys(data)) expect(key).not.toMatch(/PASSWORD|SECRET|TOKEN|ACCESS_KEY/);
    const params = Object.fromEntries(
      Object.entries(data)
        .filter(([k]) => k.startsWith('ROWBACK_PARAM_'))
        .map(([k, v]) => [k.slice('ROWBACK_PARAM_'.length), v]),
    );
    expect(params.backup).toMatch(/^s3:\/\//);
    expect(wpcaParams.safeParse(params).success, JSON.stringify(wpcaParams.safeParse(params).error)).toBe(
      true,
    );
  });

  it('the ArgoCD Applications are synced by hand and run the Jobs as Sync hooks', async () => {
    const all = await manifests();
    const apps = ofKind(all, 'Application');
    expect(apps.map((a) => a.doc.spec.source.path).sort()).toEqual([
      'deploy/kubernetes',
      'deploy/kubernetes/resume',
    ]);
    for (const { file, doc } of apps) {
      expect(doc.spec.syncPolicy?.automated, file).toBeUndefined();
      expect(doc.spec.syncPolicy.retry.limit, file).toBe(0);
    }
    for (const { doc } of ofKind(all, 'Job').filter((j) => j.doc.metadata.name !== 'rowback-plan'))
      expect(doc.metadata.annotations['argocd.argoproj.io/hook']).toBe('Sync');
    const sa = ofKind(all, 'ServiceAccount')[0]!.doc;
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const trust = JSON.parse(await readFile(join(DEPLOY, 'aws/backup-reader-trust-policy.json'), 'utf8'));
    const conditions = Object.values(trust.Statement[0].Condition.StringEquals) as string[];
    const namespace = apps[0]!.doc.spec.destination.namespace;
    expect(conditions).toContain(`system:serviceaccount:${namespace}:${sa.metadata.name}`);
  });
});

describe('deploy/Dockerfile', () => {
  it('builds on Node 24, bakes in the package and restores/, runs as a non-root user, holds no secret', async () => {
    const text = await readFile(join(DEPLOY, 'Dockerfile'), 'utf8');
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const args = Object.fromEntries(
      lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4).split('=') as [string, string]),
    );
    const froms = lines
      .filter((l) => l.startsWith('FROM '))
      .map((l) => l.split(/\s+/)[1]!.replace(/^\$\{(\w+)\}$/, (_, n: string) => args[n] ?? 'undefined-arg'));
    expect(froms.length).toBeGreaterThanOrEqual(1);
    for (const image of froms) expect(image).toMatch(/^node:24[.-]/);
    const users = lines.filter((l) => l.startsWith('USER '));
    const last = users.at(-1)?.slice(5).split(':')[0];
    expect(last).toMatch(/^\d+$/);
    expect(Number(last)).toBeGreaterThan(0);
    // The USER line comes after the last COPY/RUN of the final stage: nothing runs as root after it.
    const final = lines.slice(lines.lastIndexOf(lines.filter((l) => l.startsWith('FROM ')).at(-1)!));
    expect(final.findIndex((l) => l.startsWith('USER '))).toBeGreaterThan(
      Math.max(...final.map((l, i) => (/^(COPY|RUN|ADD) /.test(l) ? i : -1))),
    );
    expect(final.some((l) => /^COPY (--\S+ )*restores /.test(l))).toBe(true);
    expect(final.some((l) => l.includes('/src/dist'))).toBe(true);
    expect(final.find((l) => l.startsWith('ENTRYPOINT'))).toBe(
      'ENTRYPOINT ["node", "/app/dist/cli/main.js"]',
    );
    for (const l of lines.filter((l) => /^(ENV|ARG|LABEL) /.test(l)))
      expect(l).not.toMatch(/PASSWORD|SECRET|TOKEN|AWS_ACCESS|mysql:\/\/[^@\s]*:[^@\s]*@/i);
    expect(text).not.toMatch(/^\s*ADD\s/m);
    const ignore = await readFile(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8');
    expect(ignore.split('\n')[1]).toBe('*');
    expect(ignore).toMatch(/\*\*\/\.env/);
  });
});
