import { readFileSync } from 'node:fs';
import { containerCommand, DEFAULT_TEST_IMAGE } from 'rowback/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const workflow = parse(readFileSync(new URL('../../.github/workflows/ci.yml', import.meta.url), 'utf8'));

describe('.github/workflows/ci.yml', () => {
  const job = workflow.jobs.test;

  it('runs the suite on MySQL 8.0, 8.4 and MariaDB 10.11, 11.4, one image per job by ROWBACK_TEST_IMAGE', () => {
    expect(job.strategy.matrix.image).toEqual(['mysql:8.0', 'mysql:8.4', 'mariadb:10.11', 'mariadb:11.4']);
    expect(job.strategy['fail-fast']).toBe(false);
    // GitHub's expression syntax, not a JS template: built from parts so no linter mistakes it for one.
    expect(job.env.ROWBACK_TEST_IMAGE).toBe(['$', '{{ matrix.image }}'].join(''));
    const runs: string[] = job.steps.flatMap((s: { run?: string }) => (s.run ? [s.run] : []));
    expect(runs).toContain('npx vitest run');
    expect(runs).toContain('npm ci --no-audit --no-fund');
    expect(runs.some((r) => /apt-get install -y .*mariadb-client/.test(r))).toBe(true);
    expect(workflow.on).toHaveProperty('push');
  });

  it('starts MySQL images with stock defaults plus GTIDs, MariaDB images as they come', () => {
    for (const image of ['mysql:8.0', 'mysql:8.4', DEFAULT_TEST_IMAGE]) {
      expect(containerCommand(image)).toEqual(['--gtid-mode=ON', '--enforce-gtid-consistency=ON']);
    }
    for (const image of ['mariadb:10.11', 'mariadb:11.4', 'docker.io/library/mariadb:11.4']) {
      expect(containerCommand(image)).toEqual([]);
    }
    // No override of local_infile, collation, binlog or packet size: the "stock defaults".
    expect(containerCommand('mysql:8.4').join(' ')).not.toMatch(/local-infile|collation|log-bin|packet/);
  });
});
