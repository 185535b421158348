// Starts a real specbind server on 127.0.0.1 with an ephemeral port, and speaks to it over HTTP.
import { createServer, type CreateServerOptions } from '../../src';

export interface Started {
  url: string;
  close: () => Promise<void>;
  request: (method: string, path: string, init?: { body?: unknown; headers?: Record<string, string>; raw?: string | Buffer }) => Promise<Answer>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, when there is one. */
  json: any;
}

export async function start(options: CreateServerOptions): Promise<Started> {
  const server = await createServer({ logger: { level: 'silent' }, ...options });
  const { url, close } = await server.listen(0, '127.0.0.1');
  const request: Started['request'] = async (method, path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | Buffer | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  return { url, close, request };
}

export const SPECS = `${__dirname}/../../../shared/specs`;
