// @ts-check
import tseslint from 'typescript-eslint';
import { globalIgnores } from 'eslint/config';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const src = (...folders) => folders.map((folder) => `./src/${folder}`);
// the process's composition roots: they wire every layer together, so no layer may import them
const ROOTS = src(
	'app.ts',
	'server.ts',
	'vault.ts',
	'cli.ts',
	'bootstrap-admin.ts',
	'cli',
	'plugins',
);
const zone = (target, from, message) => ({ target: src(target), from, message });

/**
 * The layers (README, "Architecture"): routes → domain → oauth / crypto / storage, arrows one way.
 * config/, errors.ts, micro-batcher.ts and periodic-task.ts are leaves every layer may use.
 */
const LAYERS = [
	zone('routes', [...src('storage', 'oauth', 'crypto'), ...ROOTS], 'routes/ call the domain only.'),
	zone('domain', [...src('routes'), ...ROOTS], 'domain/ never knows the HTTP layer or its wiring.'),
	zone(
		'oauth',
		[...src('domain', 'routes', 'crypto'), ...ROOTS],
		'oauth/ is the protocol client only: it imports nothing from the vault above it.',
	),
	zone(
		'crypto',
		[...src('storage', 'domain', 'oauth', 'routes'), ...ROOTS],
		'crypto/ handles bytes and keys: no tables, no domain.',
	),
	zone(
		'storage',
		[...src('domain', 'oauth', 'crypto', 'routes'), ...ROOTS],
		'storage/ is SQL only: it knows no layer above it.',
	),
	zone(
		'config',
		src('routes', 'domain', 'oauth', 'crypto', 'storage', 'errors.ts', ...ROOTS),
		'config/ is a leaf: parsed once at start and passed in.',
	),
	zone(
		'plugins',
		src('routes', 'cli', 'cli.ts'),
		'plugins/ wire the app; routes are mounted by app.ts.',
	),
	zone(
		'limits',
		[...src('routes', 'domain', 'oauth', 'crypto', 'storage'), ...ROOTS],
		'limits/ are counters (Redis or memory): a leaf that knows no layer.',
	),
	zone('cli', src('plugins', 'app.ts'), 'cli/ opens the vault itself, not the HTTP app.'),
	{
		...zone('cli', src('routes'), 'cli/ opens the vault itself, not the HTTP app.'),
		// the public URLs a link or a provider registration shows are the HTTP layer's to say
		except: ['./public-urls.ts'],
	},
];

// typescript-eslint's recommended rules, plus the type-checked rules that catch real bugs in a
// server (promises dropped or passed where a callback is expected) at a cost we can pay in CI.
export default tseslint.config(
	globalIgnores(['dist', 'node_modules', 'bench/.tmp', 'coverage', '.openapi', '.stryker-tmp']),
	tseslint.configs.recommended,
	{
		files: ['**/*.ts'],
		languageOptions: {
			parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
			'@typescript-eslint/await-thenable': 'error',
			'@typescript-eslint/no-unused-vars': [
				'error',
				{ argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
			],
		},
	},
	{
		files: ['src/**/*.ts'],
		plugins: { 'import-x': importX },
		settings: {
			// the sources import './x.js' for './x.ts' (NodeNext): resolve them as TypeScript does
			'import-x/resolver-next': [
				createNodeResolver({
					extensions: ['.ts', '.js', '.mjs', '.json'],
					extensionAlias: { '.js': ['.ts', '.js'] },
				}),
			],
		},
		rules: {
			'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: LAYERS }],
		},
	},
	{
		// storage and the protocol client never know HTTP
		files: ['src/storage/**/*.ts', 'src/oauth/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['fastify', 'fastify-*', '@fastify/*'],
							message: 'storage/ and oauth/ never know HTTP.',
						},
					],
				},
			],
		},
	},
	{
		// tests read untyped JSON answers and database rows
		files: ['test/**/*.ts'],
		rules: { '@typescript-eslint/no-explicit-any': 'off' },
	},
	{
		files: ['**/*.mjs', '**/*.js'],
		languageOptions: {
			globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
		},
	},
);
