// The public API the declarative engine codes against: compile once, render or evaluate,
// mappings and booleans like the reference's Interpolated* classes, syntax errors with a place,
// and the datetime helpers DatetimeBasedCursor uses.

import { describe, expect, it } from 'vitest';
import {
  compileTemplate,
  evalBoolean,
  evalMapping,
  evalNestedMapping,
  formatDatetime,
  formatDatetimeMillis,
  PyDateTime,
  parseDatetime,
  parseDatetimeMillis,
  pythonJson,
  pythonStr,
  TemplateMapping,
  TemplateSyntaxError,
} from '../../src/interpolation/index.js';

describe('compileTemplate', () => {
  it('compiles a source once and returns the cached template after', () => {
    expect(compileTemplate('{{ config.a }}')).toBe(compileTemplate('{{ config.a }}'));
  });

  it('marks text without markup as static and returns it as is', () => {
    const t = compileTemplate('https://api.example.com/v1');
    expect(t.isStatic).toBe(true);
    expect(t.render({})).toBe('https://api.example.com/v1');
    expect(compileTemplate('{{ 1 }}').isStatic).toBe(false);
  });

  it('reports bad syntax with line and column', () => {
    let error: unknown;
    try {
      compileTemplate('line one\n  {{ config.a ) }}');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateSyntaxError);
    expect((error as TemplateSyntaxError).line).toBe(2);
    expect((error as TemplateSyntaxError).column).toBe(15);
    expect((error as Error).message).toMatch(/line 2, column 15/);
  });

  it.each([
    '{% if x %}no end',
    '{{ x | nosuchfilter }}',
    '{% macro m() %}{% endmacro %}',
    "{{ 'open }}",
    '{{ }}',
  ])('refuses %s', (source) => {
    expect(() => compileTemplate(source)).toThrow(TemplateSyntaxError);
  });
});

describe('eval', () => {
  const ctx = { config: { n: '5', flag: true, name: 'x', list: [1, 2] } };

  it('applies literal_eval to the rendered text', () => {
    expect(compileTemplate('{{ config.n }}').eval(ctx)).toBe(5);
    expect(compileTemplate('{{ config.flag }}').eval(ctx)).toBe(true);
    expect(compileTemplate('{{ config.list }}').eval(ctx)).toEqual([1, 2]);
    expect(compileTemplate("{{ {'a': config.n} }}").eval(ctx)).toEqual({ a: '5' });
    expect(compileTemplate('{{ config.name }}').eval(ctx)).toBe('x');
  });

  it('keeps the text when the literal is not of a valid type', () => {
    expect(compileTemplate('{{ config.n }}').eval(ctx, { validTypes: ['str'] })).toBe('5');
  });

  it('uses the default when the result is empty, and null without one', () => {
    expect(compileTemplate('{{ config.missing }}').eval(ctx)).toBeNull();
    expect(compileTemplate('{{ config.missing }}').eval(ctx, { default: '{{ config.name }}' })).toBe('x');
  });
});

describe('evalBoolean', () => {
  it('follows the reference: "False", "false", 0, empty and None are false', () => {
    const ctx = { config: { a: 'false', b: 'yes' } };
    expect(evalBoolean(compileTemplate('{{ config.a }}'), ctx)).toBe(false);
    expect(evalBoolean(compileTemplate('{{ config.b }}'), ctx)).toBe(true);
    expect(evalBoolean(compileTemplate('{{ config.missing }}'), ctx)).toBe(false);
    expect(evalBoolean(true, ctx)).toBe(true);
  });
});

describe('mappings', () => {
  const ctx = { config: { key: 'k1', n: 3 } };

  it('interpolates keys (kept as strings) and string values; other values unchanged', () => {
    expect(evalMapping({ '{{ config.key }}': '{{ config.n }}', '{{ 1 }}': 'a', plain: 7 }, ctx)).toEqual({
      k1: 3,
      '1': 'a',
      plain: 7,
    });
  });

  it('interpolates nested mappings and drops keys whose value evaluates to None', () => {
    expect(
      evalNestedMapping(
        { a: { b: '{{ config.n }}', c: '{{ config.missing }}' }, l: ['{{ config.key }}', 2] },
        ctx,
      ),
    ).toEqual({
      a: { b: 3 },
      l: ['k1', 2],
    });
  });
});

describe('context values', () => {
  it('gives a mapping with attributes the way the reference gives StreamSlice', () => {
    const slice = new TemplateMapping(
      { start: '2024-01-01' },
      { partition: { id: 7 }, cursor_slice: { start: '2024-01-01' } },
    );
    const ctx = { stream_slice: slice };
    expect(
      compileTemplate(
        '{{ stream_slice.start }}|{{ stream_slice.partition.id }}|{{ stream_partition.get("start") }}',
      ).render(ctx),
    ).toBe('2024-01-01|7|2024-01-01');
  });

  it('prints values as Python does', () => {
    expect(pythonStr({ a: [true, null, 1.5, 'x'] })).toBe("{'a': [True, None, 1.5, 'x']}");
    expect(pythonJson({ a: [true, null, 'é'] })).toBe('{"a": [true, null, "\\u00e9"]}');
  });
});

describe('python datetime helpers', () => {
  it('parses and formats like the reference DatetimeParser', () => {
    const dt = parseDatetime('2024-01-02T03:04:05.123456+0200', '%Y-%m-%dT%H:%M:%S.%f%z');
    expect(String(dt)).toBe('2024-01-02 03:04:05.123456+02:00');
    expect(formatDatetime(dt, '%s')).toBe('1704157445');
    expect(formatDatetime(dt, '%ms')).toBe('1704157445123');
    expect(formatDatetime(dt, '%Y-%m-%d %_ms')).toBe('2024-01-02 123');
    expect(String(parseDatetime('1700000000', '%s'))).toBe('2023-11-14 22:13:20+00:00');
    expect(String(parseDatetime('2024-01-02', '%Y-%m-%d'))).toBe('2024-01-02 00:00:00+00:00');
    expect(() => parseDatetime('2024-01-02x', '%Y-%m-%d')).toThrow(/unconverted data remains/);
    // int() truncates a float value but refuses a float written as text, as in Python
    expect(String(parseDatetime(1198.44, '%ms'))).toBe('1970-01-01 00:00:01.198000+00:00');
    expect(String(parseDatetime(1700000000.9, '%s'))).toBe('2023-11-14 22:13:20+00:00');
    expect(() => parseDatetime('1198.44', '%ms')).toThrow(/invalid literal for int/);
  });

  it('offers epoch-millisecond forms for the cursor', () => {
    expect(parseDatetimeMillis('2024-01-02', '%Y-%m-%d')).toBe(Date.UTC(2024, 0, 2));
    expect(parseDatetimeMillis('nope', '%Y-%m-%d')).toBeUndefined();
    expect(formatDatetimeMillis(Date.UTC(2024, 0, 2, 3, 4, 5, 6), '%Y-%m-%dT%H:%M:%S.%fZ')).toBe(
      '2024-01-02T03:04:05.006000Z',
    );
  });

  it('prints str() and isoformat() like Python', () => {
    const dt = new PyDateTime(2024, 1, 2, 3, 4, 5, 0, 0, 'UTC');
    expect(String(dt)).toBe('2024-01-02 03:04:05+00:00');
    expect(dt.isoformat()).toBe('2024-01-02T03:04:05+00:00');
    expect(dt.isoformat('T', 'milliseconds')).toBe('2024-01-02T03:04:05.000+00:00');
  });
});
