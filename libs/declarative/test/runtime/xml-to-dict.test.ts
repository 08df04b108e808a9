// XML bodies read into the shapes the reference's XmlDecoder (xmltodict 0.14) gives, so that field
// paths written against the reference find the same records. Each expected value below is what
// xmltodict.parse returned for the same input (airbyte-cdk 7.39.1's virtualenv, 2026-11-26).

import { describe, expect, it } from 'vitest';
import { XmlSyntaxError, xmlToDict } from '../../src/runtime/xml-to-dict.js';

describe('xmlToDict', () => {
  it.each([
    [
      '<?xml version="1.0" encoding="UTF-8"?>\n<r>\n  <a>1</a>\n  <a>2</a>\n  <b/>\n  <c x="1">t</c>\n  <d x="2"/>\n  <e> </e>\n</r>',
      { r: { a: ['1', '2'], b: null, c: { '@x': '1', '#text': 't' }, d: { '@x': '2' }, e: null } },
    ],
    ['<r>x<a>1</a>y</r>', { r: { a: '1', '#text': 'xy' } }],
    ['<r><![CDATA[<hi> & ]]></r>', { r: '<hi> &' }],
    ['<r>&amp;&lt;&#65;&#x42;&quot;&apos;&gt;</r>', { r: '&<AB"\'>' }],
    ['<ns:r xmlns:ns="u"><ns:a>1</ns:a></ns:r>', { 'ns:r': { '@xmlns:ns': 'u', 'ns:a': '1' } }],
    ['<r><!-- c --><a>1</a><b/><a/></r>', { r: { a: ['1', null], b: null } }],
    [
      '<!DOCTYPE r [<!ELEMENT r ANY>]><r a=\'single\'  b = "2"><z k="v">text<y/>more</z></r>',
      { r: { '@a': 'single', '@b': '2', z: { '@k': 'v', y: null, '#text': 'textmore' } } },
    ],
    ['<r a="&amp;x\tline\nbreak"/>', { r: { '@a': '&x line break' } }],
    [
      '<Response><Staff><UUID>1</UUID><Name>Ann</Name></Staff><Staff><UUID>2</UUID><Name>Bo</Name><Email/></Staff><Status>OK</Status></Response>',
      {
        Response: {
          Staff: [
            { UUID: '1', Name: 'Ann' },
            { UUID: '2', Name: 'Bo', Email: null },
          ],
          Status: 'OK',
        },
      },
    ],
    ['<r>\r\n line1\r\n line2 \r\n</r>', { r: 'line1\n line2' }],
    ['<r><x>é ü 日本</x></r>', { r: { x: 'é ü 日本' } }],
  ])('%s', (xml, expected) => {
    const parsed = xmlToDict(xml);
    expect(parsed).toEqual(expected);
    // key order too: attributes, then children as they first appear, then #text
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(expected));
  });

  it.each([
    ['not xml', /text before the document element at line 1, column 0/],
    ['', /no element found/],
    ['<r><a></r>', /<\/r> does not match <a> at line 1, column 6/],
    ['<r/><s/>', /a second element after the document element/],
    ['<r>\n<a>&nbsp;</a></r>', /undefined entity &nbsp; at line 2/],
    ['<r a=1/>', /attribute a is not quoted/],
    ['<r><a>1</a>', /<r> is never closed/],
    ['<r>fish & chips</r>', /'&' that starts no reference/],
    ['<r a="1" a="2"/>', /attribute a appears twice/],
  ])('refuses %j as expat does, saying where', (xml, message) => {
    expect(() => xmlToDict(xml)).toThrow(XmlSyntaxError);
    expect(() => xmlToDict(xml)).toThrow(message);
  });
});
