// Manifest fields that may hold a template, bound to the component's `$parameters` once. A field
// whose value is not a string (a number, a mapping) is a constant; a string is compiled once and
// evaluated per use with the reference's semantics (render, then read as a Python literal).

import {
  type CompiledTemplate,
  compileTemplate,
  type EvalOptions,
  evalBoolean,
  pythonStr,
} from '../interpolation/index.js';
import type { Mapping } from './slice.js';

export type Config = Record<string, unknown>;

/**
 * Compiles a template, or defers its syntax error to the first evaluation: the reference only
 * fails when a broken template is used, so a manifest with one broken field still runs the
 * streams that never read it.
 */
function compileLazily(source: string): CompiledTemplate {
  try {
    return compileTemplate(source);
  } catch (error) {
    const fail = (): never => {
      throw error;
    };
    return { source, isStatic: false, render: fail, eval: fail };
  }
}

/**
 * A field that may hold a template. By default it behaves as the reference's InterpolatedString:
 * a template that renders nothing (or reads an undefined value) falls back to its own text, which
 * is evaluated again (so `{{ record.missing }}` gives ""). Values inside request mappings are
 * evaluated without that fallback (`inMapping`), so an undefined one is None and is dropped.
 */
export class Interpolated {
  private constructor(
    private readonly template: CompiledTemplate | undefined,
    private readonly constant: unknown,
    private readonly parameters: Mapping,
    private readonly selfDefault: boolean,
  ) {}

  static of(value: unknown, parameters: Mapping = {}, options: { inMapping?: boolean } = {}): Interpolated {
    return typeof value === 'string'
      ? new Interpolated(compileLazily(value), undefined, parameters, !options.inMapping)
      : new Interpolated(undefined, value, parameters, false);
  }

  get isEmpty(): boolean {
    return this.template
      ? this.template.source === ''
      : this.constant === undefined || this.constant === null;
  }

  /** The value, evaluated with `config`, the component's parameters and `scope` (slice, response, record...). */
  eval(config: Config, scope: Mapping = {}, options?: EvalOptions): unknown {
    if (!this.template) return this.constant;
    const context = { config, parameters: this.parameters, ...scope };
    return this.template.eval(
      context,
      this.selfDefault ? { default: this.template.source, ...options } : options,
    );
  }

  /** Python's `str()` of the value, as the reference formats URLs, paths and headers. */
  evalString(config: Config, scope: Mapping = {}): string {
    const value = this.eval(config, scope);
    return value === null || value === undefined ? '' : pythonStr(value);
  }
}

export class InterpolatedCondition {
  private constructor(
    private readonly template: CompiledTemplate | undefined,
    private readonly parameters: Mapping,
  ) {}

  static of(value: unknown, parameters: Mapping = {}): InterpolatedCondition {
    if (typeof value === 'boolean')
      return new InterpolatedCondition(compileTemplate(value ? 'True' : 'False'), parameters);
    return new InterpolatedCondition(
      typeof value === 'string' && value !== '' ? compileLazily(value) : undefined,
      parameters,
    );
  }

  /** An absent condition is false. */
  eval(config: Config, scope: Mapping = {}): boolean {
    if (!this.template) return false;
    return evalBoolean(this.template, { config, parameters: this.parameters, ...scope });
  }
}

/**
 * A mapping whose keys and values may be templates (request parameters, headers, body fields).
 * Nested mappings and lists are evaluated recursively; entries that evaluate to None are dropped,
 * as the reference drops them.
 */
export class InterpolatedMapping {
  private readonly entries: {
    key: Interpolated;
    value: InterpolatedMapping | Interpolated | InterpolatedList;
  }[];

  private constructor(source: Mapping, parameters: Mapping) {
    this.entries = Object.entries(source).map(([key, value]) => ({
      key: Interpolated.of(key, parameters, { inMapping: true }),
      value: nested(value, parameters),
    }));
  }

  static of(source: Mapping, parameters: Mapping = {}): InterpolatedMapping {
    return new InterpolatedMapping(source, parameters);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  eval(config: Config, scope: Mapping = {}): Mapping {
    const out: Mapping = {};
    for (const { key, value } of this.entries) {
      const k = key.eval(config, scope);
      const v = value.eval(config, scope);
      if (v === null || v === undefined) continue;
      out[k === null || k === undefined ? '' : pythonStr(k)] = v;
    }
    return out;
  }
}

class InterpolatedList {
  private readonly items: (InterpolatedMapping | Interpolated | InterpolatedList)[];
  constructor(source: unknown[], parameters: Mapping) {
    this.items = source.map((item) => nested(item, parameters));
  }
  eval(config: Config, scope: Mapping): unknown[] {
    return this.items.map((item) => item.eval(config, scope));
  }
}

function nested(value: unknown, parameters: Mapping): InterpolatedMapping | Interpolated | InterpolatedList {
  if (Array.isArray(value)) return new InterpolatedList(value, parameters);
  if (value !== null && typeof value === 'object')
    return InterpolatedMapping.of(value as Mapping, parameters);
  return Interpolated.of(value, parameters, { inMapping: true });
}
