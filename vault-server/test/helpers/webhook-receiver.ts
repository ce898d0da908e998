import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ReceivedWebhook {
	headers: IncomingMessage['headers'];
	body: string;
}

/** A real HTTP receiver for the alert webhook; the first `failures` posts answer 500. */
export async function startWebhookReceiver(failures = 0) {
	const received: ReceivedWebhook[] = [];
	let failing = failures;
	const server: Server = createServer((request, response) => {
		let body = '';
		request.on('data', (chunk) => (body += chunk));
		request.on('end', () => {
			if (failing-- > 0) return void response.writeHead(500).end();
			received.push({ headers: request.headers, body });
			response.writeHead(204).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}/hook`,
		received,
		close: () => new Promise((resolve) => server.close(resolve)),
	};
}
