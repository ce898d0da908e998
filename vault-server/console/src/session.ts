import { api, useSession } from './api.js';

export interface Session {
	actor: { id: string; name: string };
	csrf_token: string;
	expires_at: string;
	idle_timeout_seconds: number;
}

/** The session the cookie names, or undefined when signed out (or expired). */
export async function currentSession(onSignedOut: () => void): Promise<Session | undefined> {
	try {
		const session = await api<Session>('GET', '/v1/sessions/current');
		useSession(session.csrf_token, onSignedOut);
		return session;
	} catch {
		useSession(undefined, onSignedOut);
		return undefined;
	}
}

export async function signIn(token: string, onSignedOut: () => void): Promise<Session> {
	const session = await api<Session>('POST', '/v1/sessions', { token });
	useSession(session.csrf_token, onSignedOut);
	return session;
}

export async function signOut(): Promise<void> {
	await api('DELETE', '/v1/sessions/current').catch(() => undefined);
	useSession(undefined, () => {});
}
