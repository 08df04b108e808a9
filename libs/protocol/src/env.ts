// `${VAR}` and `${VAR:-default}` in configs, resolved from the environment, so secrets stay out of
// project and acceptance files.

import { configError } from './errors.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/**
 * `${VAR}` and `${VAR:-default}` in every string of a config, resolved from the environment. A
 * value that is exactly one reference takes the variable's type: `count: "${COUNT}"` with
 * COUNT=25 is the number 25 (and `true`/`false` are booleans), since environment values are text.
 */
export function substituteEnv(
  value: unknown,
  where: string,
  env: Record<string, string | undefined> = process.env,
): unknown {
  if (typeof value === 'string') {
    const text = value.replace(REFERENCE, (_m, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw configError(
        `${where} uses \${${name}}, but the environment variable ${name} is not set. Set it, or give a default with \${${name}:-value}.`,
      );
    });
    if (!WHOLE_REFERENCE.test(value)) return text;
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    if (text === 'true' || text === 'false') return text === 'true';
    return text;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, `${where}[${i}]`, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, `${where}.${k}`, env)]),
    );
  }
  return value;
}
