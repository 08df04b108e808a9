// The types a destination column can be asked for, independent of the database: what a JSON
// Schema property becomes. Each dialect maps these to its own column types.

export type LogicalType =
  | 'integer'
  | 'number'
  | 'boolean'
  | 'string'
  | 'timestamp_with_timezone'
  | 'timestamp_without_timezone'
  | 'date'
  | 'json';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * integer → integer, number → number (integer with `airbyte_type: integer`), boolean → boolean,
 * string → string (date-time → timestamp with time zone, or without with
 * `airbyte_type: timestamp_without_timezone`; date → date); objects, arrays, unions of several
 * types and untyped properties → json.
 */
export function logicalTypeFor(propertySchema: unknown): LogicalType {
  if (!isObject(propertySchema)) return 'json';
  const declared = propertySchema.type;
  const types = (Array.isArray(declared) ? declared : [declared]).filter(
    (t): t is string => typeof t === 'string' && t !== 'null',
  );
  if (types.length !== 1) return 'json';
  const airbyteType = propertySchema.airbyte_type;
  switch (types[0]) {
    case 'integer':
      return 'integer';
    case 'number':
      return airbyteType === 'integer' ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      if (propertySchema.format === 'date-time') {
        return airbyteType === 'timestamp_without_timezone'
          ? 'timestamp_without_timezone'
          : 'timestamp_with_timezone';
      }
      return propertySchema.format === 'date' ? 'date' : 'string';
    default:
      return 'json';
  }
}
