// Types for the end-to-end harness modules (plain ESM) that the unit tests reuse.
declare module '*/test-n8n/lib/seed.mjs' {
	export const TOKENS: Record<'acmeGoogle' | 'acmeGoogleRefreshed' | 'globexGoogle', string>;
	export function seedVault(vault: unknown, testApi: unknown): Promise<void>;
}
declare module '*/test-n8n/lib/test-api.mjs' {
	export function startTestApi(): Promise<{
		url: string;
		tokenRequests(): number;
		stop(): Promise<void>;
	}>;
}
declare module '*/test-n8n/lib/vault.mjs' {
	export function startVault(options: {
		workDir: string;
		databaseName?: string;
		log: (message: string) => void;
		env?: Record<string, string>;
	}): Promise<{
		url: string;
		internalToken: string;
		admin(method: string, path: string, body?: object): Promise<unknown>;
		refreshAndReadStatus(
			clientId: string,
			service: string,
		): Promise<{ answer: { status: number; code: string }; status: string }>;
		stop(): Promise<void>;
	}>;
}
