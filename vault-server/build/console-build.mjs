// Builds the operator console into dist/console/ (`npm run build` runs it after tsup): the
// TypeScript in console/src bundled by esbuild into one app.js, beside index.html and the CSS.
// Nothing built is committed.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'console');
mkdirSync(out, { recursive: true });
await build({
	entryPoints: [join(root, 'console', 'src', 'main.ts')],
	outfile: join(out, 'app.js'),
	bundle: true,
	format: 'esm',
	target: ['es2022'],
	platform: 'browser',
	minify: true,
	sourcemap: false,
	logLevel: 'warning',
});
for (const file of ['index.html', 'console.css']) {
	copyFileSync(join(root, 'console', file), join(out, file));
}
