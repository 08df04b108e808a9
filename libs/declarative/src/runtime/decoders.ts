// Response decoders: bytes of a response → the bodies the record extractor walks. JSON yields the
// body (each element when the body is a list), JSON lines one body per line, CSV one mapping per
// row, XML one mapping in xmltodict's shape, gzip unwraps then hands on to its inner decoder.
//
// Unlike the reference, a body that is not what the decoder expects (HTML where JSON was promised)
// is an error that names the request, not an empty page: silently reading nothing is how a sync
// "succeeds" with no data.

import { gunzipSync } from 'node:zlib';
import { describeRequest, type HttpResponse } from '@conveyor/http';
import { configError, systemError } from '@conveyor/protocol';
import type { Mapping } from './slice.js';
import { XmlSyntaxError, xmlToDict } from './xml-to-dict.js';

export interface Decoder {
  decode(response: HttpResponse): unknown[];
}

function describe(response: HttpResponse): string {
  return `${describeRequest(response.request)} (status ${response.status})`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function bodyText(response: HttpResponse, body = response.body): string {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

export function jsonDecoder(): Decoder {
  return {
    decode(response) {
      const text = bodyText(response);
      if (text.trim() === '') return [{}];
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        const kind = /^\s*</.test(text) ? 'HTML or XML' : 'text that is not JSON';
        throw systemError(
          `The API answered ${describe(response)} with ${kind} where JSON was expected: "${snippet(text)}". Check the URL and the credentials (login pages are HTML), or declare the manifest's decoder.`,
        );
      }
      if (Array.isArray(parsed)) return parsed.length === 0 ? [{}] : parsed;
      return [parsed];
    },
  };
}

export function jsonlDecoder(): Decoder {
  return {
    decode(response) {
      const out: unknown[] = [];
      let lineNumber = 0;
      for (const line of bodyText(response).split('\n')) {
        lineNumber++;
        if (line.trim() === '') continue;
        try {
          out.push(JSON.parse(line));
        } catch {
          throw systemError(`Line ${lineNumber} of ${describe(response)} is not JSON: "${snippet(line)}".`);
        }
      }
      return out;
    },
  };
}

/** One `{ record: line }` per line, as the reference's IterableDecoder. */
export function iterableDecoder(): Decoder {
  return {
    decode(response) {
      return bodyText(response)
        .split(/\r?\n/)
        .filter((l) => l !== '')
        .map((record) => ({ record }));
    },
  };
}

/** RFC 4180 CSV with a header row; every value a string. */
export function csvDecoder(options: { delimiter?: string; encoding?: string } = {}): Decoder {
  const delimiter = options.delimiter ?? ',';
  return {
    decode(response) {
      const rows = parseCsv(bodyText(response), delimiter);
      const header = rows.shift();
      if (!header) return [];
      return rows
        .filter((row) => !(row.length === 1 && row[0] === ''))
        .map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? null])));
    },
  };
}

export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The body as the reference's XmlDecoder reads it: one mapping in xmltodict's shape (see xml-to-dict.ts). */
export function xmlDecoder(): Decoder {
  return {
    decode(response) {
      const text = bodyText(response);
      if (text.trim() === '') return [{}];
      try {
        return [xmlToDict(text)];
      } catch (error) {
        if (!(error instanceof XmlSyntaxError)) throw error;
        throw systemError(
          `The API answered ${describe(response)} with a body that is not well-formed XML (${error.message}): "${snippet(text)}". Check the URL and the credentials, or declare the manifest's decoder.`,
        );
      }
    },
  };
}

/** Unzips a gzip body (when it is one) and hands it to the inner decoder. */
export function gzipDecoder(inner: Decoder): Decoder {
  return {
    decode(response) {
      const body = response.body;
      if (body[0] !== 0x1f || body[1] !== 0x8b) return inner.decode(response);
      const unzipped = new Uint8Array(gunzipSync(body));
      return inner.decode({ ...response, body: unzipped });
    },
  };
}

/** The decoder a manifest component asks for. */
export function decoderFrom(model: Mapping | undefined): Decoder {
  const type = model?.type ?? 'JsonDecoder';
  switch (type) {
    case 'JsonDecoder':
      return jsonDecoder();
    case 'JsonlDecoder':
      return jsonlDecoder();
    case 'IterableDecoder':
      return iterableDecoder();
    case 'CsvDecoder':
      return csvDecoder({ delimiter: typeof model?.delimiter === 'string' ? model.delimiter : undefined });
    case 'XmlDecoder':
      return xmlDecoder();
    case 'GzipDecoder':
      return gzipDecoder(decoderFrom(model?.decoder as Mapping | undefined));
    default:
      throw configError(
        `The decoder "${String(type)}" is not supported yet. Supported: JsonDecoder, JsonlDecoder, IterableDecoder, CsvDecoder, XmlDecoder, GzipDecoder.`,
      );
  }
}
