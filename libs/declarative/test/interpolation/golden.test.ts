// Compares the engine with golden outputs produced by the reference implementation itself
// (golden/generate.py runs airbyte-cdk's JinjaInterpolation over the same cases), and checks
// that every template of the Airbyte manifest corpus compiles exactly when the reference's does.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { compileTemplate, evalBoolean, type LiteralType } from '../../src/interpolation/index.js';

interface Outcome {
  value?: unknown;
  error?: string;
}

interface GoldenCase {
  template: string;
  options: { default?: string; valid_types?: LiteralType[]; boolean?: boolean; render_only?: boolean };
  render: Outcome;
  eval?: Outcome;
  boolean?: Outcome;
}

interface Golden {
  frozenNow: string;
  context: Record<string, unknown>;
  cases: GoldenCase[];
  corpusCases: GoldenCase[];
  corpusCompileFailures: Record<string, string>;
  corpusTemplateCount: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const golden = JSON.parse(readFileSync(join(here, 'golden', 'golden.json'), 'utf8')) as Golden;
const corpusDir = join(here, '../../../../../shared/corpus/airbyte-manifests');

function attempt(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: error instanceof Error ? error.name : String(error) };
  }
}

/** Golden floats that JSON cannot carry come as {"float": "inf"}. */
function expected(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expected);
  if (value && typeof value === 'object') {
    if ('float' in value) return Number((value as { float: string }).float.replace('inf', 'Infinity'));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expected(v)]));
  }
  return value;
}

/** Python prints a method with its memory address (`<built-in method get of dict object at 0x7f..>`). */
function withoutAddresses(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/ at 0x[0-9a-f]+>/g, '>') : value;
}

function check(c: GoldenCase): void {
  const context = { ...golden.context };
  const template = attempt(() => compileTemplate(c.template));
  const compiled = template.value as ReturnType<typeof compileTemplate> | undefined;
  const rendered = compiled ? attempt(() => compiled.render(structuredClone(context))) : template;
  if (c.render.error)
    expect(rendered.error, `render of ${c.template} should fail like the reference`).toBeDefined();
  else expect(rendered, `render of ${c.template}`).toEqual({ value: withoutAddresses(c.render.value) });
  if (c.eval) {
    const options = { default: c.options.default, validTypes: c.options.valid_types };
    const evaluated = compiled ? attempt(() => compiled.eval(structuredClone(context), options)) : template;
    if (c.eval.error)
      expect(evaluated.error, `eval of ${c.template} should fail like the reference`).toBeDefined();
    else
      expect(evaluated, `eval of ${c.template}`).toEqual({ value: withoutAddresses(expected(c.eval.value)) });
  }
  if (c.boolean) {
    const result = compiled ? attempt(() => evalBoolean(compiled, structuredClone(context))) : template;
    if (c.boolean.error) expect(result.error).toBeDefined();
    else expect(result, `boolean of ${c.template}`).toEqual({ value: c.boolean.value });
  }
}

describe('interpolation matches the reference (golden outputs)', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(golden.frozenNow));
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it.each(golden.cases.map((c) => [c.template, c] as const))('%s', (_name, c) => check(c));
  it.each(golden.corpusCases.map((c) => [c.template, c] as const))('corpus: %s', (_name, c) => check(c));
});

function corpusTemplates(): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.includes('{{') || value.includes('{%')) found.add(value);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        visit(key);
        visit(item);
      }
    }
  };
  for (const dir of readdirSync(corpusDir)) {
    const file = join(corpusDir, dir, 'manifest.yaml');
    if (existsSync(file)) visit(parse(readFileSync(file, 'utf8'), { uniqueKeys: false }));
  }
  return [...found];
}

describe.skipIf(!existsSync(corpusDir))('every template of the corpus', () => {
  it('compiles exactly when the reference compiles it', { timeout: 180_000 }, () => {
    const templates = corpusTemplates();
    expect(templates.length).toBe(golden.corpusTemplateCount);
    const failures: Record<string, string> = {};
    for (const template of templates) {
      try {
        compileTemplate(template);
      } catch (error) {
        failures[template] = error instanceof Error ? error.message : String(error);
      }
    }

    expect(Object.keys(failures).sort()).toEqual(Object.keys(golden.corpusCompileFailures).sort());
  });
});
