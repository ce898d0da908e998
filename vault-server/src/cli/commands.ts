import type { Config } from '../config/config.js';
import { serveCommand } from './serve-command.js';
import { migrateCommand } from './migrate-command.js';
import { tokenCommand } from './token-command.js';
import { auditCommand } from './audit-command.js';
import { schemaCommand } from './schema-command.js';
import { refresherCommand } from './refresher-command.js';
import { keysCommand } from './keys-command.js';
import { connectLinkCommand } from './connect-link-command.js';
import { monitorCommand } from './monitor-command.js';
import { testConnectionsCommand } from './test-connections-command.js';

export type Command = (args: string[], config: Config) => Promise<number>;

export const COMMANDS: Record<string, Command> = {
	serve: serveCommand,
	refresher: refresherCommand,
	migrate: migrateCommand,
	token: tokenCommand,
	audit: auditCommand,
	'schema-sql': schemaCommand,
	keys: keysCommand,
	'connect-link': connectLinkCommand,
	monitor: monitorCommand,
	'test-connections': testConnectionsCommand,
};

export const usage = () => `Usage: otobot-vault <command>

  serve                         run the HTTP API (PORT, default 3001)
  refresher                     run the background OAuth2 refresher on its own
  migrate                       apply pending database migrations
  token create --name N --scope admin|read [--expires-in-days D] [--clients a,b]
  token list                    list API tokens (never their values)
  token revoke <id>             revoke an API token
  audit verify                  check the audit log's hash chain
  schema-sql                    print the whole schema as one SQL script
  connect-link <client> <service> [--expires-in-minutes N]
                                a single-use link the client opens to (re)connect an account
  keys status [--json]          data key versions and the ciphertexts each protects
  keys rotate                   create a new data key version, active for new secrets
  keys rewrap [--batch N] [--pause-ms MS]
                                re-encrypt older ciphertexts under the active version
  keys retire <version>         retire a version no ciphertext uses any more
  monitor [--watch] [--interval 5m] [--json]
                                expired, expiring and failing tokens, unused connections, API
                                tokens near expiry, open alerts; exit 1 when action is needed
  test-connections              check the database, migrations, master key, API and every
                                connection (exit 1 if one FAILED)
  test-connections --insert-test-data | --remove-test-data
                                add (idempotent) or remove the demo-test-client test data

Configuration comes from the environment; see .env.example.
`;
