import type { Command } from 'commander';
import { Option } from 'commander';
import { runAuditExport, runAuditVerify } from '../commands/audit.ts';
import { runProvenanceInit, runProvenanceVerify } from '../commands/provenance.ts';
import {
  runAuditExportPostgres,
  runAuditVerifyPostgres,
  runBudgetReconcile,
  runDbMigrate,
} from '../commands/shared-stores.ts';
import type { CliIo } from '../io.ts';
import { type CommandParts, configFrom, configOption } from './options.ts';

/** `pixelgate audit verify` and `pixelgate audit export`, over files or (`--postgres`) the database. */
function registerAuditCommands(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  const audit = program.command('audit').description('Check and export the tamper-evident audit log.');
  audit
    .command('verify')
    .description(
      'Verify an audit log directory (hash chain, signed checkpoints), an evidence bundle exported from one (offline), or the PostgreSQL audit log.',
    )
    .argument('[dir]', 'audit log directory (for serve: ./pixelgate-data/audit) or evidence bundle folder')
    .option('--postgres <url>', 'verify the PostgreSQL audit log instead (needs --public-key)')
    .addOption(configOption())
    .option(
      '--public-key <file>',
      "PEM public key checkpoints must be signed with (default: the one serve wrote into <dir>, or the bundle's own)",
    )
    .option(
      '--allow-unsigned-tail',
      'accept any records after the last checkpoint (a live tail within the checkpoint interval is accepted without it)',
    )
    .action(
      async (
        dir: string | undefined,
        flags: { publicKey?: string; allowUnsignedTail?: boolean; postgres?: string; config?: string },
      ) => {
        const { config: path, postgres, ...rest } = flags;
        if (postgres || dir === undefined) {
          const options = { ...rest, ...(postgres ? { postgres } : {}) };
          setExitCode(await runAuditVerifyPostgres(options, await configFrom(path, io), io));
          return;
        }
        setExitCode(await runAuditVerify(dir, rest, io));
      },
    );
  audit
    .command('export')
    .description('Export the records of a time range, with the evidence to verify them, into a folder.')
    .argument('[auditDir]', 'audit log directory')
    .option('--postgres <url>', 'export from the PostgreSQL audit log instead (needs --public-key)')
    .addOption(configOption())
    .requiredOption(
      '--from <time>',
      'start of the period, inclusive (YYYY-MM-DD in UTC, or an ISO 8601 time)',
    )
    .requiredOption('--to <time>', 'end of the period, exclusive')
    .requiredOption('--out <dir>', 'folder to write the evidence bundle to')
    .option(
      '--public-key <file>',
      'PEM public key checkpoints must be signed with (default: the one serve wrote into <auditDir>)',
    )
    .option(
      '--signing-key <file>',
      "PEM private key that signs the bundle's manifest (default: serve's audit-signing-key.pem beside <auditDir>, if there)",
    )
    .action(
      async (
        auditDir: string | undefined,
        flags: {
          from: string;
          to: string;
          out: string;
          publicKey?: string;
          signingKey?: string;
          postgres?: string;
          config?: string;
        },
      ) => {
        const { config: path, postgres, ...rest } = flags;
        if (postgres || auditDir === undefined) {
          const options = { ...rest, ...(postgres ? { postgres } : {}) };
          setExitCode(await runAuditExportPostgres(options, await configFrom(path, io), io));
          return;
        }
        setExitCode(await runAuditExport(auditDir, rest, io));
      },
    );
}

/** `pixelgate provenance init` and `pixelgate provenance verify`. */
function registerProvenanceCommands(program: Command, setExitCode: (code: number) => void, io: CliIo): void {
  const provenance = program
    .command('provenance')
    .description('Content Credentials (C2PA): development signing keys and verification of images.');
  provenance
    .command('init')
    .description('Create a DEVELOPMENT root CA, signer certificate and key for signing images.')
    .option('-d, --dir <dir>', 'folder for the PEM files', 'pixelgate-data/provenance')
    .addOption(new Option('-a, --algorithm <alg>', 'signing algorithm').choices(['es256', 'ed25519']))
    .option('--force', 'replace existing credentials')
    .action(async (flags: { dir: string; algorithm?: 'es256' | 'ed25519'; force?: boolean }) => {
      setExitCode(await runProvenanceInit(flags, io));
    });
  provenance
    .command('verify')
    .description("Verify an image's C2PA manifest: Trusted, Valid, Invalid or Absent, with the reasons.")
    .argument('<file>', 'PNG, JPEG or WebP image')
    .option('--trust <root.pem>', 'PEM root certificate(s) to trust')
    .action(async (file: string, flags: { trust?: string }) => {
      setExitCode(await runProvenanceVerify(file, flags, io));
    });
}

/** `pixelgate db migrate` and `pixelgate budget reconcile`, for a shared deployment. */
function registerDatabaseCommands(program: Command, setExitCode: (code: number) => void, io: CliIo): void {
  program
    .command('db')
    .description('The PostgreSQL database of a shared deployment.')
    .command('migrate')
    .description('Apply pending schema migrations (safe while other replicas start).')
    .option('--postgres <url>', 'database URL (default: postgres.url in the config)')
    .addOption(configOption())
    .action(async (flags: { postgres?: string; config?: string }) => {
      const { config: path, ...rest } = flags;
      setExitCode(await runDbMigrate(rest, await configFrom(path, io), io));
    });

  program
    .command('budget')
    .description('Budgets of a shared deployment.')
    .command('reconcile')
    .description(
      "Compare the spend ledger (PostgreSQL) with the budget counters (Redis) for the config's budget rules.",
    )
    .option('--postgres <url>', 'database URL (default: postgres.url in the config)')
    .option('--redis <url>', 'Redis URL (default: redis.url in the config)')
    .addOption(configOption())
    .action(async (flags: { postgres?: string; redis?: string; config?: string }) => {
      const { config: path, ...rest } = flags;
      setExitCode(await runBudgetReconcile(rest, await configFrom(path, io), io));
    });
}

/** The operator's commands: audit log, provenance, database and budget tools. */
export function registerAdminCommands(program: Command, { io, setExitCode }: CommandParts): void {
  registerAuditCommands(program, io, setExitCode);
  registerProvenanceCommands(program, setExitCode, io);
  registerDatabaseCommands(program, setExitCode, io);
}
