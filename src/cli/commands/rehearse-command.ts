import { redactUrl, type Target } from '../../db/index.ts';
import { renderRehearsalHtml } from '../../report-html/index.ts';
import { loadModule } from '../../runner/module-loader.ts';
import { renderRehearsalMarkdown } from '../../runner/rehearsal-markdown.ts';
import { type RehearsalServer, rehearse } from '../../runner/rehearse.ts';
import { defaultProviderEnvironment, type MysqlServer, startMysql } from '../../testing/index.ts';
import { type CliIo, writeLine } from '../cli-io.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { writeHtmlFile } from '../html-output.ts';
import { collectParams, controlSchemaOf, openTarget, paramsFor, restoresDir } from '../options.ts';
import { progressReporter } from '../progress-reporter.ts';
import type { RunFlags } from './run-commands.ts';

export type RehearseFlags = Omit<RunFlags, 'workspace'> & { readonly strict?: boolean };

/**
 * `rowback rehearse <id>`: the module end to end on a throwaway server from the provider chain. The
 * server is stopped and its files removed at the end, on failure and on Ctrl-C.
 */
export async function rehearseCommand(id: string, flags: RehearseFlags, io: CliIo): Promise<number> {
  const loaded = await loadModule(restoresDir(flags, io), id);
  const params = await paramsFor(loaded.restore, await collectParams(flags, io));
  const target = await openTarget(flags, io);
  const progress = progressReporter(io, Boolean(flags.quiet || flags.json));
  let starting: Promise<MysqlServer> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    progress.stop();
    writeLine(io.stderr, `\n${signal}: stopping the rehearsal server; the live target was only read.`);
    void (async () => {
      const server = await starting?.catch(() => undefined);
      await server?.stop().catch(() => undefined);
      await target.close().catch(() => undefined);
    })().finally(() => process.exit(signal === 'SIGINT' ? EXIT.interrupted : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await rehearse(target, loaded.restore, params, {
      checksum: loaded.checksum,
      onEvent: progress.onEvent,
      ...controlSchemaOf(flags, io),
      ...(flags.strict ? { strict: true } : {}),
      startServer: async (): Promise<RehearsalServer> => {
        if (!flags.quiet && !flags.json) writeLine(io.stderr, 'rowback: starting the rehearsal server…');
        starting = startMysql({
          environment: {
            ...defaultProviderEnvironment,
            env: { ...io.env, ROWBACK_TEST_IMAGE: imageLike(target, io) },
          },
        });
        const server = await starting;
        // Said on stderr also under --json: a person (or a test) may want to know what to look for.
        writeLine(
          io.stderr,
          `rowback: rehearsal server ${server.flavour} ${server.version} (${server.provider}) at ${redactUrl(server.url)}`,
        );
        return server;
      },
    });
    progress.stop();
    if (flags.html) await writeHtmlFile(io, flags.html, renderRehearsalHtml(report), 'the rehearsal');
    io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderRehearsalMarkdown(report));
    return report.status === 'done' ? EXIT.ok : exitCodeFor(report.error?.name);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
    await target.close();
  }
}

/**
 * Where the provider chain reaches a container runtime, the image of the target's flavour and
 * major.minor version (`mysql:8.4`, `mariadb:10.11`), unless ROWBACK_TEST_IMAGE names one; an
 * existing server or a local binary is what it is, and the report says how it differs.
 */
function imageLike(target: Target, io: CliIo): string {
  const { flavour, version } = target.server;
  return io.env.ROWBACK_TEST_IMAGE || `${flavour}:${version.split('.').slice(0, 2).join('.')}`;
}
