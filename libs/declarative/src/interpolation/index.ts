// The interpolation engine's public face: compile a manifest string once, then render it or
// evaluate it the way the reference's JinjaInterpolation does (render, then Python literal_eval,
// with the reference's fallbacks), plus the reference's InterpolatedBoolean, InterpolatedMapping
// and InterpolatedNestedMapping rules. Everything else in this directory is internal.

import { TemplateError } from './errors.js';
import { type CompiledProgram, compileProgram } from './evaluator.js';
import { literalEval } from './literal-eval.js';
import { parseTemplate } from './parser.js';
import { formatDatetime, PyDateTime, PyDateValueError, parseDatetime } from './python-datetime.js';
import { jsonDumps } from './python-strings.js';
import { isFloat, isInt, isTuple, PyError, PyFloat, pyStr, toPlain } from './values.js';

export { TemplateError, type TemplateErrorKind, TemplateSyntaxError } from './errors.js';
export * from './python-datetime.js';
export { TemplateMapping } from './values.js';

export type InterpolationContext = Record<string, unknown>;

export type LiteralType = 'str' | 'int' | 'float' | 'bool' | 'dict' | 'list';

export interface EvalOptions {
  /** template evaluated instead when the result is empty or reads an undefined value */
  default?: string;
  /** the literal is kept only when it has one of these types; otherwise the rendered text is returned */
  validTypes?: LiteralType[];
}

export interface CompiledTemplate {
  readonly source: string;
  /** true when the source has no {{ }} / {% %} / {# #} at all (render returns the source itself) */
  readonly isStatic: boolean;
  /** The rendered text, as Jinja would produce it. Throws TemplateError. */
  render(context: InterpolationContext): string;
  /**
   * Like the reference's JinjaInterpolation.eval: render, then Python's literal_eval. An empty
   * result or an undefined value read by the template gives `default` evaluated the same way
   * (null without a default); a Python TypeError inside the template gives the source text.
   */
  eval(context: InterpolationContext, options?: EvalOptions): unknown;
}

const UNSUPPORTED_VARIABLE = 'stream_state';
const CACHE_LIMIT = 20_000;
const cache = new Map<string, Template>();

function hasMarkup(source: string): boolean {
  return source.includes('{{') || source.includes('{%') || source.includes('{#');
}

/** Jinja's default text handling: \r\n becomes \n and one trailing newline is dropped. */
function staticText(source: string): string {
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

class RenderFailure {
  constructor(readonly error: PyError) {}
}

class Template implements CompiledTemplate {
  readonly isStatic: boolean;
  private readonly program: CompiledProgram | null;
  private readonly text: string;

  constructor(readonly source: string) {
    this.isStatic = !hasMarkup(source);
    this.text = staticText(source);
    this.program = this.isStatic ? null : compileProgram(parseTemplate(source), source);
  }

  render(context: InterpolationContext): string {
    const result = this.tryRender(context);
    if (result instanceof RenderFailure) throw this.wrap(result.error);
    return result;
  }

  /** Renders, returning Python exceptions raised by the template instead of throwing them. */
  tryRender(context: InterpolationContext): string | RenderFailure {
    if (!this.program) return this.text;
    try {
      return this.program.run(context);
    } catch (error) {
      if (error instanceof PyError) return new RenderFailure(error);
      if (error instanceof TemplateError) throw error;
      throw new TemplateError(
        'runtime',
        `failed: ${error instanceof Error ? error.message : String(error)}`,
        this.source,
        { cause: error },
      );
    }
  }

  wrap(error: PyError): TemplateError {
    switch (error.kind) {
      case 'UndefinedError':
        return new TemplateError('undefined', `reads an undefined value (${error.message})`, this.source, {
          cause: error,
        });
      case 'SecurityError':
        return new TemplateError('forbidden', `is not allowed: ${error.message}`, this.source, {
          cause: error,
        });
      case 'BudgetError':
        return new TemplateError('budget', `was stopped: ${error.message}`, this.source, { cause: error });
      default:
        return new TemplateError('runtime', `failed with ${error.kind}: ${error.message}`, this.source, {
          cause: error,
        });
    }
  }

  /** The reference refuses to evaluate a template that names a variable its context lacks. */
  checkNames(context: InterpolationContext): void {
    if (!this.program) return;
    if (this.source.includes(UNSUPPORTED_VARIABLE)) {
      throw new TemplateError(
        'runtime',
        '`stream_state` is no longer supported for interpolation; use `stream_interval` instead (see the CDK migration guide)',
        this.source,
      );
    }
    for (const name of this.program.freeNames) {
      if (
        !(name in context) &&
        !((name === 'stream_interval' || name === 'stream_partition') && 'stream_slice' in context)
      ) {
        throw new TemplateError(
          'undefined',
          `uses the variable '${name}', which is not available here (available: ${Object.keys(context).join(', ') || 'none'})`,
          this.source,
        );
      }
    }
  }

  eval(context: InterpolationContext, options: EvalOptions = {}): unknown {
    this.checkNames(context);
    const result = this.tryRender(context);
    let rendered: string | undefined;
    if (result instanceof RenderFailure) {
      // the reference answers a TypeError with the template text and an undefined value with the default
      if (result.error.kind === 'TypeError') rendered = this.source;
      else if (result.error.kind !== 'UndefinedError') throw this.wrap(result.error);
    } else {
      rendered = result;
    }
    if (rendered) return literal(rendered, options.validTypes);
    if (options.default === undefined) return null;
    const fallback = compileTemplate(options.default) as Template;
    fallback.checkNames(context);
    const fallbackResult = fallback.tryRender(context);
    if (fallbackResult instanceof RenderFailure) {
      if (fallbackResult.error.kind === 'TypeError') return literal(fallback.source, options.validTypes);
      throw fallback.wrap(fallbackResult.error);
    }
    return literal(fallbackResult, options.validTypes);
  }
}

function hasType(value: unknown, types: LiteralType[]): boolean {
  return types.some((type) => {
    switch (type) {
      case 'str':
        return typeof value === 'string';
      case 'int':
        return isInt(value) || typeof value === 'boolean';
      case 'float':
        return isFloat(value) || value instanceof PyFloat;
      case 'bool':
        return typeof value === 'boolean';
      case 'dict':
        return value instanceof Map;
      case 'list':
        return Array.isArray(value) && !isTuple(value);
      default:
        return false;
    }
  });
}

/** Python's literal_eval of a rendered text, kept only when of a valid type. */
function literal(text: string, validTypes: LiteralType[] | undefined): unknown {
  const parsed = literalEval(text);
  if (!parsed) return text;
  if (validTypes && validTypes.length > 0 && !hasType(parsed.value, validTypes)) return text;
  return toPlain(parsed.value);
}

/** Compiles (or takes from the cache) a template; throws TemplateSyntaxError for bad syntax. */
export function compileTemplate(source: string): CompiledTemplate {
  let template = cache.get(source);
  if (!template) {
    template = new Template(source);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(source, template);
  }
  return template;
}

const FALSE_STRINGS = new Set(['False', 'false', '{}', '[]', '()', '', '0', '0.0']);

function isFalseValue(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0) return true;
  if (typeof value === 'string') return FALSE_STRINGS.has(value);
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** The reference's InterpolatedBoolean: the template's value, false for "False", "false", 0, empty, None... */
export function evalBoolean(template: CompiledTemplate | boolean, context: InterpolationContext): boolean {
  if (typeof template === 'boolean') return template;
  return !isFalseValue(template.eval(context, { default: 'False' }));
}

export interface MappingOptions {
  /** types a key may evaluate to (default: str, so "{{ 1 }}" stays the key "1") */
  validKeyTypes?: LiteralType[];
  /** types a value may evaluate to (default: any literal) */
  validValueTypes?: LiteralType[];
}

function keyText(key: unknown): string {
  return typeof key === 'string' ? key : key === null ? 'None' : String(key);
}

/** The reference's InterpolatedMapping: string keys and string values interpolated, others kept. */
export function evalMapping(
  mapping: Readonly<Record<string, unknown>>,
  context: InterpolationContext,
  options: MappingOptions = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keyTypes = options.validKeyTypes ?? ['str'];
  for (const [key, value] of Object.entries(mapping)) {
    const evaluatedKey = compileTemplate(key).eval(context, { validTypes: keyTypes });
    out[keyText(evaluatedKey)] =
      typeof value === 'string'
        ? compileTemplate(value).eval(context, { validTypes: options.validValueTypes })
        : value;
  }
  return out;
}

/** The reference's InterpolatedNestedMapping: every string at any depth interpolated; null dict values dropped. */
export function evalNestedMapping(value: unknown, context: InterpolationContext): unknown {
  if (typeof value === 'string') return compileTemplate(value).eval(context);
  if (Array.isArray(value)) return value.map((item) => evalNestedMapping(item, context));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const evaluated = evalNestedMapping(item, context);
      if (evaluated !== null && evaluated !== undefined)
        out[keyText(evalNestedMapping(key, context))] = evaluated;
    }
    return out;
  }
  return value;
}

/** Python's str() of a JSON value (True, None, 1.5, {'a': 1}), as the reference puts values into text. */
export function pythonStr(value: unknown): string {
  return pyStr(value);
}

/** Python's json.dumps of a JSON value (", " and ": " separators, non-ASCII escaped), as request bodies are sent. */
export function pythonJson(value: unknown): string {
  return jsonDumps(value);
}

/** parseDatetime as epoch milliseconds, or undefined when `value` does not match `format`. */
export function parseDatetimeMillis(value: unknown, format: string): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseDatetime(value, format).epochMicros / 1000;
  } catch (error) {
    if (error instanceof PyDateValueError) return undefined;
    throw error;
  }
}

/** formatDatetime for an instant given in epoch milliseconds (UTC). */
export function formatDatetimeMillis(millis: number, format: string): string {
  return formatDatetime(PyDateTime.fromEpochMicros(Math.round(millis * 1000)), format);
}
