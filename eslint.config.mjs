import { config } from '@n8n/node-cli/eslint';
import { globalIgnores } from 'eslint/config';

// The community package shares the repository root with the vault server and the test
// harnesses, which are ordinary Node programs: the community-node rules apply to the package
// sources only (nodes/, credentials/, package.json).
export default [
	globalIgnores(['vault-server', 'sql', 'test-nodes', 'test-n8n', 'examples', 'docs', 'coverage']),
	...config,
];
