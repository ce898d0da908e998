import type { Config } from '../config/config.js';
import { serveCommand } from './serve-command.js';
import { migrateCommand } from './migrate-command.js';
import { tokenCommand } from './token-command.js';
import { auditCommand } from './audit-command.js';
import { schemaCommand } from './schema-command.js';
import { refresherCommand } from './refresher-command.js';
import { keysCommand } from './keys-command.js';

export type Command = (args: string[], config: Config) => Promise<number>;

export const COMMANDS: Record<string, Command> = {
	serve: serveCommand,
	refresher: refresherCommand,
	migrate: migrateCommand,
	token: tokenCommand,
	audit: auditCommand,
	'schema-sql': schemaCommand,
	keys: keysCommand,
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
  keys status [--json]          data key versions and the ciphertexts each protects
  keys rotate                   create a new data key version, active for new secrets
  keys rewrap [--batch N] [--pause-ms MS]
                                re-encrypt older ciphertexts under the active version
  keys retire <version>         retire a version no ciphertext uses any more

Configuration comes from the environment; see .env.example.
`;
