// @ts-check
import tseslint from 'typescript-eslint';
import { globalIgnores } from 'eslint/config';

// typescript-eslint's recommended rules, plus the type-checked rules that catch real bugs in a
// server (promises dropped or passed where a callback is expected) at a cost we can pay in CI.
export default tseslint.config(
	globalIgnores(['dist', 'node_modules', 'bench/.tmp', 'coverage', '.stryker-tmp']),
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
