// The mock's XML answer for a manifest read with XmlDecoder: the JSON body it would have sent,
// written as XML the way xmltodict reads it back (a key is an element, a list repeats its element,
// `@name` is an attribute, `#text` the text, null an empty element). Both engines parse the same
// document, so values come back as strings on both sides.

import type { Json } from './manifest-model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

function escapeText(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c]!);
}

/** Field names from a schema may hold characters an XML name cannot (spaces, a leading digit). */
export function xmlName(key: string): string {
  const name = key.replace(/[^A-Za-z0-9_.:-]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

function scalarText(value: Json): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function element(name: string, value: Json): string {
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (value === null) return `<${name}/>`;
  if (typeof value !== 'object') return `<${name}>${escapeText(scalarText(value))}</${name}>`;
  let attributes = '';
  let children = '';
  let text = '';
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('@')) attributes += ` ${xmlName(key.slice(1))}="${escapeText(scalarText(child))}"`;
    else if (key === '#text') text = escapeText(scalarText(child));
    else children += element(xmlName(key), child);
  }
  return `<${name}${attributes}>${children}${text}</${name}>`;
}

/** A document with one root: the body's only key, or `<response>` around anything else. */
export function toXml(body: Json): string {
  const single =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.entries(body) : [];
  const [root, value] = single.length === 1 ? single[0]! : ['response', body];
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(xmlName(root), value)}`;
}
