// Record and replay a connector's HTTP traffic through a local proxy, for any language: the
// connector runs with HTTP_PROXY/HTTPS_PROXY pointing here and a CA made for the session
// (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, REQUESTS_CA_BUNDLE), so HTTPS is opened here too.
// Recording forwards to the real service once and keeps each answer with every configured secret
// scrubbed; replaying answers from the cassette, offline.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { configError, MASK, type SecretMasker } from '@conveyor/protocol';
import forge from 'node-forge';

export interface Interaction {
  request: { method: string; url: string; bodySha256?: string };
  response: { status: number; contentType?: string; body: string };
}

export interface Cassette {
  /** How it was made, for the reader: recorded against the real service, or written by hand. */
  note?: string;
  interactions: Interaction[];
}

export interface CassetteProxy {
  /** Environment for the connector process. */
  env: Record<string, string>;
  /** Requests replay could not answer (each one made the connector see HTTP 599). */
  misses: string[];
  /** Ends the proxy; a recording is written only when `keep` is true (a failed run keeps the old cassette). */
  stop(keep?: boolean): Promise<void>;
}

function makeCa(): { caPem: string; issue(host: string): SecureContext } {
  const pair = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
      publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    };
  };
  const validity = (cert: forge.pki.Certificate) => {
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
    cert.serialNumber = randomBytes(8).toString('hex');
  };
  const caKeys = pair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  validity(ca);
  const caName = [{ name: 'commonName', value: 'Conveyor acceptance kit recording proxy' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());
  const leafKeys = pair();
  const leafKeyPem = forge.pki.privateKeyToPem(leafKeys.privateKey);
  const contexts = new Map<string, SecureContext>();
  return {
    caPem: forge.pki.certificateToPem(ca),
    issue(host) {
      const cached = contexts.get(host);
      if (cached) return cached;
      const cert = forge.pki.createCertificate();
      cert.publicKey = leafKeys.publicKey;
      validity(cert);
      cert.setSubject([{ name: 'commonName', value: host }]);
      cert.setIssuer(caName);
      const isIp = /^[\d.]+$/.test(host);
      cert.setExtensions([
        { name: 'subjectAltName', altNames: [isIp ? { type: 7, ip: host } : { type: 2, value: host }] },
        { name: 'extKeyUsage', serverAuth: true },
      ]);
      cert.sign(caKeys.privateKey, forge.md.sha256.create());
      const context = createSecureContext({ key: leafKeyPem, cert: forge.pki.certificateToPem(cert) });
      contexts.set(host, context);
      return context;
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => done(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

export function readCassette(file: string): Cassette {
  if (!existsSync(file)) {
    throw configError(
      `No cassette at ${file}. Record one against the real service: conveyor test CONNECTOR --record (needs the network once).`,
    );
  }
  let parsed: Cassette;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Cassette;
  } catch (error) {
    throw configError(
      `${file} is not valid JSON (${(error as Error).message}). Record it again with --record.`,
    );
  }
  if (!Array.isArray(parsed.interactions))
    throw configError(`${file} is not a cassette: it has no "interactions" list.`);
  return parsed;
}

export async function startCassetteProxy(options: {
  mode: 'record' | 'replay';
  file: string;
  /**
   * Knows the configured secret values (filled once the spec says which fields are secret):
   * scrubbed from what is recorded and from requests before they are matched.
   */
  masker: SecretMasker;
}): Promise<CassetteProxy> {
  const masker = options.masker;
  const scrub = (text: string) => masker.mask(text);
  const cassette: Cassette = options.mode === 'replay' ? readCassette(options.file) : { interactions: [] };
  const byKey = new Map<string, Interaction[]>();
  const served = new Map<string, number>();
  const keyOf = (method: string, url: string, body: Buffer) =>
    `${method} ${scrub(url)}${
      body.length
        ? ` ${createHash('sha256')
            .update(scrub(body.toString('utf8')))
            .digest('hex')}`
        : ''
    }`;
  for (const i of cassette.interactions) {
    const key = `${i.request.method} ${i.request.url}${i.request.bodySha256 ? ` ${i.request.bodySha256}` : ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  }
  const misses: string[] = [];

  const answer = async (url: string, req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const key = keyOf(method, url, body);
    if (options.mode === 'replay') {
      const options = byKey.get(key);
      if (!options?.length) {
        misses.push(`${method} ${scrub(url)}`);
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`no recorded answer for ${method} ${scrub(url)}; record again with --record`);
        return;
      }
      // the same request asked again gets the next recorded answer, then the last one again
      const n = served.get(key) ?? 0;
      served.set(key, n + 1);
      const hit = options[Math.min(n, options.length - 1)]!;
      res.writeHead(
        hit.response.status,
        hit.response.contentType ? { 'content-type': hit.response.contentType } : {},
      );
      res.end(hit.response.body);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value !== 'string') continue;
      if (
        /^(host|connection|proxy-.*|accept-encoding|content-length|keep-alive|transfer-encoding)$/i.test(name)
      )
        continue;
      headers[name] = value;
    }
    let upstream: Response;
    try {
      upstream = await fetch(url, {
        method,
        headers,
        ...(body.length && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
        redirect: 'manual',
      });
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`recording proxy could not reach ${scrub(url)}: ${(error as Error).message}`);
      return;
    }
    const text = await upstream.text();
    const contentType = upstream.headers.get('content-type') ?? undefined;
    if (!byKey.has(key)) {
      const interaction: Interaction = {
        request: {
          method,
          url: scrub(url),
          ...(body.length ? { bodySha256: key.split(' ').at(-1)! } : {}),
        },
        response: { status: upstream.status, ...(contentType ? { contentType } : {}), body: scrub(text) },
      };
      byKey.set(key, [interaction]);
      cassette.interactions.push(interaction);
    }
    res.writeHead(upstream.status, contentType ? { 'content-type': contentType } : {});
    res.end(text);
  };

  const ca = makeCa();
  // requests inside a CONNECT tunnel arrive here: decrypted HTTPS, or plain HTTP (clients such as
  // undici tunnel http:// too); the tunnel's target is kept on the socket
  const targets = new WeakMap<object, string>();
  const inner: Server = createServer((req, res) => {
    answer(`${targets.get(req.socket) ?? `https://${req.headers.host}`}${req.url}`, req, res).catch(() =>
      res.destroy(),
    );
  });
  const proxy: Server = createServer((req, res) => {
    // a plain-HTTP proxy request carries the absolute URL
    answer(req.url ?? '', req, res).catch(() => res.destroy()); // a client gone mid-request
  });
  const tunnels = new Set<Socket>();
  proxy.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    const target = req.url ?? '';
    const host = target.replace(/:\d+$/, '');
    socket.on('error', () => socket.destroy());
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const start = (first: Buffer) => {
      if (first[0] !== 0x16) {
        // plain HTTP inside the tunnel
        socket.pause();
        socket.unshift(first);
        targets.set(socket, `http://${target.replace(/:80$/, '')}`);
        inner.emit('connection', socket);
        socket.resume();
        return;
      }
      // a TLS handshake: answered with a certificate for the host, made by the session's CA. The TLS
      // layer reads through a JS stream fed from the socket, so the bytes already read are kept.
      const stream = new Duplex({
        read() {
          socket.resume();
        },
        write(chunk: Buffer, _encoding, done) {
          socket.write(chunk, done);
        },
        final(done) {
          socket.end(done);
        },
      });
      stream.push(first);
      socket.on('data', (chunk: Buffer) => {
        if (!stream.push(chunk)) socket.pause();
      });
      socket.once('end', () => stream.push(null));
      socket.once('close', () => stream.destroy());
      const tls = new TLSSocket(stream, { isServer: true, secureContext: ca.issue(host) });
      tls.on('error', () => tls.destroy());
      targets.set(tls, `https://${target.replace(/:443$/, '')}`);
      inner.emit('connection', tls);
    };
    if (head.length) start(head);
    else socket.once('data', start);
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const port = (proxy.address() as AddressInfo).port;
  const work = mkdtempSync(join(tmpdir(), 'conveyor-cassette-'));
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, ca.caPem);
  const url = `http://127.0.0.1:${port}`;
  return {
    env: {
      HTTP_PROXY: url,
      HTTPS_PROXY: url,
      http_proxy: url,
      https_proxy: url,
      NO_PROXY: '',
      no_proxy: '',
      NODE_EXTRA_CA_CERTS: caFile,
      SSL_CERT_FILE: caFile,
      REQUESTS_CA_BUNDLE: caFile,
    },
    misses,
    stop: async (keep = true) => {
      for (const socket of tunnels) socket.destroy();
      proxy.closeAllConnections();
      inner.closeAllConnections();
      await new Promise<void>((done) => proxy.close(() => done()));
      inner.close();
      rmSync(work, { recursive: true, force: true });
      if (options.mode === 'record' && keep) {
        mkdirSync(dirname(options.file), { recursive: true });
        const note = `recorded ${new Date().toISOString().slice(0, 10)} by conveyor test --record; secrets replaced by ${MASK}`;
        writeFileSync(
          options.file,
          `${JSON.stringify({ note, interactions: cassette.interactions }, null, 2)}\n`,
        );
      }
    },
  };
}
