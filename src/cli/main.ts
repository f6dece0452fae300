#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { redactUrl } from '../db/index.ts';
import { isRowbackError, UsageError } from '../errors/index.ts';
import { type CliIo, processIo, writeLine } from './cli-io.ts';
import { demoCommand } from './commands/demo-command.ts';
import { diffCommand } from './commands/diff-command.ts';
import { extractCommand } from './commands/extract-command.ts';
import { gcCommand } from './commands/gc-command.ts';
import { listCommand } from './commands/list-command.ts';
import { newCommand } from './commands/new-command.ts';
import { rehearseCommand } from './commands/rehearse-command.ts';
import { renderCommand } from './commands/render-command.ts';
import { reportCommand } from './commands/report-command.ts';
import { applyCommand, planCommand } from './commands/run-commands.ts';
import { statusCommand } from './commands/status-command.ts';
import { undoCommand } from './commands/undo-command.ts';
import { EXIT, EXIT_CODES_HELP, exitCodeForError } from './exit-codes.ts';
import { writeJsonLog } from './json-log-reporter.ts';
import { collectRepeated } from './options.ts';
import { startTelemetry } from './telemetry-sdk.ts';
import { withThrottleFlags } from './throttle-flags.ts';

const TARGET_HELP = `
A restore goes: rowback new <slug> → edit and test the module → rowback plan <id> → review the plan
(drift profile, counts, sample diffs) → rowback apply <id> → rowback status; rowback undo <run> puts
it back, rowback gc drops expired workspace tables. rowback demo shows all of it on a built incident.

The target database comes from --db or ROWBACK_DATABASE_URL, e.g.
  mysql://restore_user:secret@db.internal:3306/wordpress   (the path is the live schema)
or, with the password in a file (a mounted Secret), ROWBACK_DATABASE_PASSWORD_FILE=/run/secrets/db-password
and a URL without one. Passwords are never printed, logged or stored.`;

/** Builds the `rowback` program; `io` carries stdout/stderr/env so tests can run it in-process. */
export function buildProgram(base: CliIo, setExit: (code: number) => void): Command {
  let logFormat: 'text' | 'json' = base.env.ROWBACK_LOG_FORMAT === 'json' ? 'json' : 'text';
  // Commands see the format chosen by --log-format, which is parsed before any action runs.
  const io: CliIo = {
    ...base,
    get logFormat() {
      return logFormat;
    },
  };
  const program = new Command('rowback')
    .description('Surgical, migration-style data restores on live MySQL and MariaDB.')
    .version('0.1.0')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(rowback --help lists the commands; rowback <command> --help explains one)')
    .addHelpText('after', `${TARGET_HELP}\n\n${EXIT_CODES_HELP}`)
    .option(
      '--log-format <format>',
      'text, or json: progress and errors as JSON lines on stderr, for log collectors (default: $ROWBACK_LOG_FORMAT or text)',
    )
    .hook('preAction', (command) => {
      logFormat = logFormatOf(
        (command.opts().logFormat as string | undefined) ?? base.env.ROWBACK_LOG_FORMAT,
      );
    });

  const db = () => new Option('--db <url>', 'target database URL (default: $ROWBACK_DATABASE_URL)');
  const control = () =>
    new Option(
      '--control-schema <name>',
      'schema holding the ledger (default: $ROWBACK_CONTROL_SCHEMA or rowback)',
    );
  const restores = () =>
    new Option(
      '--restores <dir>',
      'folder of restore modules (default: $ROWBACK_RESTORES_DIR or ./restores)',
    );
  // Only plan / apply / undo print a run report (versioned, docs/run-report.schema.json); the other
  // commands print their own JSON shape, without a reportVersion, so their help must not promise one.
  const json = () => new Option('--json', 'print the result as JSON on stdout');
  const jsonReport = () =>
    new Option('--json', 'print the run report as JSON on stdout (versioned: docs/run-report.schema.json)');
  const htmlReport = () =>
    new Option('--html <file>', 'also write the report as one self-contained HTML page (no network)');
  const run = (action: () => Promise<number>) => action().then(setExit);

  const withRunOptions = (command: Command) =>
    command
      .addOption(db())
      .addOption(control())
      .addOption(restores())
      .option('--param <name=value>', 'a module param (repeatable)', collectRepeated)
      .option('--params <file.json>', 'module params from a JSON file')
      .option('--workspace <schema>', 'workspace schema (default: one per run, rb_<module id>_r<run id>)')
      .option('--lease-ttl <seconds>', "how long the module's lease outlives a run that died (default 30)")
      .addOption(jsonReport())
      .addOption(htmlReport())
      .option('-q, --quiet', 'no progress output');

  program
    .command('list')
    .description('list restore modules, oldest first')
    .addOption(restores())
    .addOption(json())
    .action((flags) => run(() => listCommand(flags, io)));

  withRunOptions(program.command('plan <id>'))
    .description(
      'dry run: extract and scope for real, run transactions and roll them back; live data is never changed',
    )
    .addHelpText(
      'after',
      '\nExample:\n  rowback plan 20261126-wpca-uid-collision --param backup=/backups/wp.sql.gz --param importBatch=b42',
    )
    .action((id, flags) => run(() => planCommand(id, flags, io)));

  withThrottleFlags(withRunOptions(program.command('apply <id>')))
    .description('apply a restore module: shows the target and asks you to type its schema name (or --yes)')
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .option('--force', 'apply again although already applied (recorded in the ledger)')
    .option(
      '--resume',
      'continue the last failed, interrupted or awaiting run from its first unfinished step',
    )
    .option('--expect-host <hostname>', "refuse unless the server's @@hostname is this")
    .addHelpText(
      'after',
      '\nExamples:\n  rowback apply 20261126-wpca-uid-collision --params params.json\n  rowback apply 20261126-wpca-uid-collision --params params.json --yes --expect-host db-1   # scripts\n  rowback apply 20261126-wpca-uid-collision --params params.json --resume                    # after a failure or a manual step',
    )
    .action((id, flags) => run(() => applyCommand(id, flags, io)));

  // Not withRunOptions: the rehearsal's workspace is its own, on its own server (no --workspace).
  program
    .command('rehearse <id>')
    .addOption(db())
    .addOption(control())
    .addOption(restores())
    .option('--param <name=value>', 'a module param (repeatable)', collectRepeated)
    .option('--params <file.json>', 'module params from a JSON file')
    .addOption(json())
    .addOption(htmlReport())
    .option('-q, --quiet', 'no progress output')
    .description(
      'plan, apply and undo the module on a throwaway server holding a copy of the rows it can touch (the live target is only read)',
    )
    .option('--strict', 'stop when the rehearsal server differs from the target in a way it cannot mimic')
    .addHelpText(
      'after',
      '\nThe rows come from the scopes of the last plan with the same params: run plan first.\n\nExample:\n  rowback rehearse 20261126-wpca-uid-collision --params params.json --html rehearsal.html',
    )
    .action((id, flags) => run(() => rehearseCommand(id, flags, io)));

  program
    .command('status [id]')
    .description('runs recorded in the ledger, newest first (dead runs show as interrupted)')
    .addOption(db())
    .addOption(control())
    .option('--limit <n>', 'how many runs', '50')
    .addOption(json())
    .action((id, flags) => run(() => statusCommand(id, flags, io)));

  withThrottleFlags(program.command('undo <runId>'))
    .description(
      'put back every before-image of an apply run (refused if the rows changed since, unless --force)',
    )
    .addOption(db())
    .addOption(control())
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .option('--force', 'undo even though the rows changed after the run')
    .option('--lease-ttl <seconds>', "how long the module's lease outlives a run that died (default 30)")
    .addOption(jsonReport())
    .addOption(htmlReport())
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      '\nExample:\n  rowback status 20261126-wpca-uid-collision   # find the run id\n  rowback undo 42',
    )
    .action((runId, flags) => run(() => undoCommand(runId, flags, io)));

  program
    .command('report <runId>')
    .description('the report of a finished run, from the ledger: Markdown, --json, or --html FILE')
    .addOption(db())
    .addOption(control())
    .addOption(jsonReport())
    .addOption(htmlReport())
    .addHelpText('after', '\nExample:\n  rowback report 42 --html run-42.html')
    .action((runId, flags) => run(() => reportCommand(runId, flags, io)));

  program
    .command('gc')
    .description('drop expired workspace artifacts (backup tables, scopes, snapshots, before-images)')
    .addOption(db())
    .addOption(control())
    .option('--dry-run', 'only list what would be dropped')
    .addOption(json())
    .addHelpText('after', '\nExample:\n  rowback gc --dry-run && rowback gc')
    .action((flags) => run(() => gcCommand(flags, io)));

  program
    .command('render <id>')
    .description("print the module's runbook (Context, Scope, Execution, Decisions, Retention, References)")
    .addOption(db())
    .addOption(control())
    .addOption(restores())
    .option('--run <runId>', 'show this run in the Execution section (default: the latest)')
    .addHelpText(
      'after',
      '\nExample:\n  rowback render 20261126-wpca-uid-collision --run 12 > restores/20261126-wpca-uid-collision/README.md',
    )
    .action((id, flags) => run(() => renderCommand(id, flags, io)));

  program
    .command('extract')
    .description('extract backup tables into a workspace schema, outside any module (ad hoc)')
    .addOption(db())
    .requiredOption(
      '--from <source>',
      'a mysqldump file (plain, .gz, .zst), a MySQL Shell dump directory or s3://bucket/prefix, or mysql://… of another server',
    )
    .requiredOption('--tables <names>', 'tables to extract, comma-separated')
    .requiredOption('--into <schema>', 'workspace schema to land them in (created if missing)')
    .option(
      '--database <name>',
      'database (schema) to take them from: for --databases / --all-databases dumps, shell dumps, servers',
    )
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// (default: AWS_ENDPOINT_URL_S3 or AWS)')
    .option('--s3-region <region>', 'region for s3:// (default: AWS_REGION / the AWS profile)')
    .option(
      '--s3-path-style',
      'path-style S3 URLs (https://endpoint/bucket/key), as most S3-compatible stores need',
    )
    .addOption(json())
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      '\nExample:\n  rowback extract --from /backups/wp.sql.gz --tables wp_users,wp_usermeta --into rb_adhoc',
    )
    .action((flags) => run(() => extractCommand(flags, io)));

  program
    .command('diff <left> <right>')
    .description(
      'rows that differ between two tables on the server (schema.table), with per-column counts and samples',
    )
    .addOption(db())
    .option('--key <columns>', 'key columns, comma-separated (default: the primary key of <left>)')
    .option('--columns <columns>', 'compare only these columns, comma-separated')
    .option('--sample <n>', 'how many differing rows to show', '10')
    .addOption(json())
    .addHelpText(
      'after',
      '\nExample:\n  rowback diff wordpress.wp_users wordpress_restored.wp_users --key ID',
    )
    .action((left, right, flags) => run(() => diffCommand(left, right, flags, io)));

  program
    .command('new <slug>')
    .description('scaffold restores/<today>-<slug>/index.ts and a test that passes as generated')
    .addOption(restores())
    .option('--date <YYYYMMDD>', 'date part of the id (default: today, UTC)')
    .addHelpText('after', '\nExample:\n  rowback new fix-user-emails')
    .action((slug, flags) => run(() => newCommand(slug, flags, io)));

  program
    .command('demo')
    .description(
      'build the WPCA incident on a throwaway server, then plan, apply and verify its restore module (about a minute)',
    )
    .option('--users <n>', 'users in the built site', '2000')
    .option('--seed <n>', 'seed of the built site', '20261120')
    .option('--strategy <name>', 'allowlist or replace', 'allowlist')
    .option('--source <name>', 'backup, or binlog: undo the import from the binary log, no backup', 'backup')
    .option('--html <file>', "also write the plan's report as one self-contained HTML page")
    .addHelpText('after', '\nExample:\n  npm run demo   # = rowback demo\n  rowback demo --source binlog')
    .action((flags) => run(() => demoCommand(flags, io)));

  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message = isRowbackError(error)
      ? error.message
      : error instanceof Error
        ? error.message
        : String(error);
    if (isJsonLog(program, io)) {
      writeJsonLog(io, 'error', redactUrl(message), {
        error: error instanceof Error ? error.name : 'Error',
        exitCode: exitCodeForError(error),
      });
      return exitCodeForError(error);
    }
    writeLine(io.stderr, `rowback: ${redactUrl(message)}`);
    if (io.env.ROWBACK_DEBUG && error instanceof Error && error.stack)
      writeLine(io.stderr, redactUrl(error.stack));
    return exitCodeForError(error);
  }
}

function logFormatOf(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === '' || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`log format ${JSON.stringify(value)} is not text or json`, {
    hint: 'pass --log-format json (or text), or fix ROWBACK_LOG_FORMAT',
  });
}

function isJsonLog(program: Command, io: CliIo): boolean {
  const chosen = (program.opts().logFormat as string | undefined) ?? io.env.ROWBACK_LOG_FORMAT;
  return chosen === 'json';
}

if (import.meta.main) {
  const io = processIo();
  const stopTelemetry = await startTelemetry(io);
  try {
    process.exitCode = await main(process.argv.slice(2), io);
  } finally {
    await stopTelemetry();
  }
}
