// A template reads only its context and calls only whitelisted functions: the tricks that break
// out of a JavaScript template engine (constructors, prototypes, Python dunders) reach nothing,
// and a template that would run away is stopped with a clear error.

import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateError } from '../../src/interpolation/index.js';

const context = { config: { api_key: 'k', items: [1, 2] }, range: undefined };

function renderOrError(source: string): { text?: string; error?: TemplateError } {
  try {
    return { text: compileTemplate(source).render({ config: { api_key: 'k' } }) };
  } catch (error) {
    if (error instanceof TemplateError) return { error };
    throw error;
  }
}

describe('sandbox', () => {
  it.each([
    "{{ range.constructor('return 6*7')() }}",
    "{{ [].constructor.constructor('return process')() }}",
    "{{ ''.constructor.constructor('return process')() }}",
    "{{ config.constructor.constructor('return 1')() }}",
    "{{ config['__proto__'] }}",
    '{{ config.__proto__.polluted }}',
    "{{ now_utc.constructor('return process')() }}",
    '{{ now_utc().constructor }}',
    "{{ ''.__class__.__mro__ }}",
    '{{ cycler.__init__.__globals__ }}',
  ])('%s executes nothing', (source) => {
    const outcome = renderOrError(source);
    // either an error naming the template, or an empty (undefined) value: never 42 or an object
    if (outcome.error) {
      expect(outcome.error.message).toContain('Template');
      expect(outcome.error.failureType).toBe('config_error');
    } else {
      expect(outcome.text).toBe('');
    }
    expect(outcome.text ?? '').not.toContain('42');
  });

  it('returns Undefined (empty) for an unsafe attribute and refuses to go further', () => {
    expect(compileTemplate("{{ ''.__class__ }}").render({})).toBe('');
    expect(compileTemplate('{{ config.constructor }}').render({ config: {} })).toBe('');
    expect(() => compileTemplate("{{ ''.__class__.__mro__ }}").render({})).toThrow(/unsafe/);
  });

  it('reads a dict key starting with _ as Jinja does (no such attribute, so the key), but never a dunder', () => {
    const hal = { response: { _embedded: { rows: [1, 2] }, __class__: 'x' } };
    expect(compileTemplate('{{ response._embedded.rows }}').eval(hal)).toEqual([1, 2]);
    expect(compileTemplate("{{ response['_embedded'].rows[1] }}").eval(hal)).toBe(2);
    expect(compileTemplate('{{ response._missing }}').render(hal)).toBe('');
    expect(compileTemplate('{{ response.__class__ }}').render(hal)).toBe('');
    expect(() => compileTemplate('{{ response.__class__.__mro__ }}').render(hal)).toThrow(/unsafe/);
  });

  it('does not let a context object expose JavaScript prototype members', () => {
    expect(compileTemplate('{{ config.toString }}').render({ config: {} })).toBe('');
    expect(compileTemplate('{{ config.hasOwnProperty }}').render({ config: {} })).toBe('');
    expect(compileTemplate("{{ 'abc'.length }}").render({})).toBe('');
    expect(compileTemplate('{{ config.items.push }}').render(context)).toBe('');
  });

  it('refuses range (removed by the reference) as an undeclared variable', () => {
    expect(() => compileTemplate('{{ range(3) }}').eval({ config: {} })).toThrow(/range/);
  });

  it('stops string and list blow-ups', () => {
    expect(() => compileTemplate("{{ 'a' * 10**9 }}").render({})).toThrow(TemplateError);
    expect(() => compileTemplate("{{ 'a' * 10**9 }}").render({})).toThrow(/limit/);
    expect(() => compileTemplate('{{ [1] * 10**8 }}').render({})).toThrow(/limit/);
    expect(() => compileTemplate('{{ 10 ** 10000 }}').render({})).toThrow(/too large/);
  });

  it('stops loops that do too much work', () => {
    const big = Array.from({ length: 2000 }, (_, i) => i);
    const source = '{% for a in xs %}{% for b in xs %}{% endfor %}{% endfor %}';
    const error = (() => {
      try {
        compileTemplate(source).render({ xs: big });
      } catch (e) {
        return e as TemplateError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TemplateError);
    expect(error?.kind).toBe('budget');
    expect(error?.message).toMatch(/steps/);
  });

  it('cuts the template in error messages to 200 characters and never prints context values', () => {
    const source = `{{ config.api_key + 1 }}${'x'.repeat(300)}`;
    try {
      compileTemplate(source).render({ config: { api_key: 'super-secret-value' } });
      expect.unreachable();
    } catch (error) {
      const e = error as TemplateError;
      expect(e.template.length).toBeLessThanOrEqual(201);
      expect(e.message).not.toContain('super-secret-value');
    }
  });
});
