// Filling in what a manifest may leave out, as the reference implementation does before validating:
// the `type` of a component written without one, and `$parameters` handed down from each component
// to the components inside it.
//
// Default types, by the field that holds the component (parent type . field → type given):
//
//   DeclarativeSource  .check → CheckStream, .spec → Spec, .streams[] → DeclarativeStream
//   DeclarativeStream  .retriever → SimpleRetriever, .schema_loader → JsonFileSchemaLoader
//   SimpleRetriever    .requester → HttpRequester, .record_selector → RecordSelector,
//                      .paginator → NoPagination
//   HttpRequester      .error_handler → DefaultErrorHandler
//   RecordSelector     .extractor → DpathExtractor, .record_filter → RecordFilter
//   DpathExtractor     .decoder → JsonDecoder, .record_expander → RecordExpander
//   RecordExpander     .parent_fields[] → ParentFieldPath
//   DefaultPaginator   .decoder → JsonDecoder, .page_size_option → RequestOption
//   CursorPagination   .decoder → JsonDecoder
//   DatetimeBasedCursor  .start_datetime / .end_datetime → MinMaxDatetime,
//                        .start_time_option / .end_time_option → RequestOption
//   DefaultErrorHandler  .response_filters[] → HttpResponseFilter
//   CompositeErrorHandler .error_handlers[] → DefaultErrorHandler
//   ListPartitionRouter .request_option → RequestOption
//   SubstreamPartitionRouter / CustomPartitionRouter .parent_stream_configs[] → ParentStreamConfig
//   ParentStreamConfig  .stream → DeclarativeStream, .request_option → RequestOption
//   AddFields           .fields[] → AddedFieldDefinition
//   DynamicDeclarativeStream .stream_template → DeclarativeStream,
//                            .components_resolver → ConfigComponentResolver
//   HttpComponentsResolver   .retriever → SimpleRetriever, .components_mapping[] → ComponentMappingDefinition
//   ConfigComponentsResolver .stream_config → StreamConfig, .components_mapping[] → ComponentMappingDefinition
//   DynamicSchemaLoader .retriever → SimpleRetriever
//   SchemaTypeIdentifier .types_map[] → TypesMap
//
// A component without `type` but with `class_name` is custom Python code; its type comes from a second
// table (CUSTOM_TYPES below: an authenticator becomes CustomAuthenticator, and so on).
//
// `$parameters` rules (the reference's, including its quirks, so manifests behave the same):
// - a component's parameters are its parent's merged with its own `$parameters`, its own winning;
// - each parameter is also set as a field of every typed component it reaches, unless the component
//   already has a truthy value (in Python's sense) for that field;
// - a parameter is not handed to the component held in the field of the same name (a `name`
//   parameter is not pushed into a field called `name`);
// - the merged parameters are stored back as the component's `$parameters`;
// - JSON schemas (`type: object` or a type list) are left as they are; a mapping without a type only
//   passes parameters to the typed mappings directly inside it (e.g. `request_parameters` entries).
// After validation, loader.ts also exposes `$parameters` as `parameters`, which is the name templates use.

import { configError } from '@conveyor/protocol';
import type { ManifestIssue } from './issues.js';
import { formatPath, isPlainObject, type PathStep, type SourceMap, setKey } from './positions.js';

const DEFAULT_TYPES: ReadonlyMap<string, string> = new Map([
  ['CompositeErrorHandler.error_handlers', 'DefaultErrorHandler'],
  ['CursorPagination.decoder', 'JsonDecoder'],
  ['DatetimeBasedCursor.end_datetime', 'MinMaxDatetime'],
  ['DatetimeBasedCursor.end_time_option', 'RequestOption'],
  ['DatetimeBasedCursor.start_datetime', 'MinMaxDatetime'],
  ['DatetimeBasedCursor.start_time_option', 'RequestOption'],
  ['DeclarativeSource.check', 'CheckStream'],
  ['DeclarativeSource.spec', 'Spec'],
  ['DeclarativeSource.streams', 'DeclarativeStream'],
  ['DeclarativeStream.retriever', 'SimpleRetriever'],
  ['DeclarativeStream.schema_loader', 'JsonFileSchemaLoader'],
  ['DynamicDeclarativeStream.stream_template', 'DeclarativeStream'],
  ['DynamicDeclarativeStream.components_resolver', 'ConfigComponentResolver'],
  ['HttpComponentsResolver.retriever', 'SimpleRetriever'],
  ['HttpComponentsResolver.components_mapping', 'ComponentMappingDefinition'],
  ['ConfigComponentsResolver.stream_config', 'StreamConfig'],
  ['ConfigComponentsResolver.components_mapping', 'ComponentMappingDefinition'],
  ['DefaultErrorHandler.response_filters', 'HttpResponseFilter'],
  ['DefaultPaginator.decoder', 'JsonDecoder'],
  ['DefaultPaginator.page_size_option', 'RequestOption'],
  ['DpathExtractor.decoder', 'JsonDecoder'],
  ['DpathExtractor.record_expander', 'RecordExpander'],
  ['HttpRequester.error_handler', 'DefaultErrorHandler'],
  ['ListPartitionRouter.request_option', 'RequestOption'],
  ['ParentStreamConfig.request_option', 'RequestOption'],
  ['ParentStreamConfig.stream', 'DeclarativeStream'],
  ['RecordExpander.parent_fields', 'ParentFieldPath'],
  ['RecordSelector.extractor', 'DpathExtractor'],
  ['RecordSelector.record_filter', 'RecordFilter'],
  ['SimpleRetriever.paginator', 'NoPagination'],
  ['SimpleRetriever.record_selector', 'RecordSelector'],
  ['SimpleRetriever.requester', 'HttpRequester'],
  ['SubstreamPartitionRouter.parent_stream_configs', 'ParentStreamConfig'],
  ['AddFields.fields', 'AddedFieldDefinition'],
  ['CustomPartitionRouter.parent_stream_configs', 'ParentStreamConfig'],
  ['DynamicSchemaLoader.retriever', 'SimpleRetriever'],
  ['SchemaTypeIdentifier.types_map', 'TypesMap'],
]);

const CUSTOM_TYPES: ReadonlyMap<string, string> = new Map([
  ['CompositeErrorHandler.backoff_strategies', 'CustomBackoffStrategy'],
  ['DeclarativeStream.retriever', 'CustomRetriever'],
  ['DeclarativeStream.transformations', 'CustomTransformation'],
  ['DefaultErrorHandler.backoff_strategies', 'CustomBackoffStrategy'],
  ['DefaultPaginator.pagination_strategy', 'CustomPaginationStrategy'],
  ['HttpRequester.authenticator', 'CustomAuthenticator'],
  ['HttpRequester.error_handler', 'CustomErrorHandler'],
  ['RecordSelector.extractor', 'CustomRecordExtractor'],
  ['SimpleRetriever.partition_router', 'CustomPartitionRouter'],
]);

export const PARAMETERS_KEY = '$parameters';

/** Python's truthiness, which decides whether a field "has a value" the parameters must not replace. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

function isJsonSchema(component: Record<string, unknown>): boolean {
  const type = component.type;
  return type === 'object' || Array.isArray(type) || isPlainObject(type);
}

/** Python's `str()` of a type value, used to build the "Type.field" key of the default tables. */
function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  return typeof value === 'string' ? value : String(value);
}

function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setKey(out, key, cloneJson(value[key]));
    return out;
  }
  return value;
}

/**
 * Adds default types and propagates `$parameters` through `manifest`, in place (the tree must be
 * the loader's own copy). The root is given `type: DeclarativeSource` when it has none.
 */
export function applyDefaults(
  manifest: Record<string, unknown>,
  sources: SourceMap,
  issues: ManifestIssue[],
): Record<string, unknown> {
  if (!Object.hasOwn(manifest, 'type')) manifest.type = 'DeclarativeSource';
  const visit = visitor(false, (path, message) => {
    const at = sources.trace(manifest, path)?.at;
    issues.push({ path: formatPath(path), ...at, message });
  });
  return visit('', manifest, {}, []);
}

/**
 * Propagates `$parameters` again through a component built at run time (a dynamic stream filled in
 * from its template), in place. With `useParentParameters`, a parent's parameter wins over a
 * component's own of the same name (the reference's default for dynamic streams).
 */
export function propagateParameters(
  component: Record<string, unknown>,
  useParentParameters: boolean,
): Record<string, unknown> {
  const visit = visitor(useParentParameters, (path, message) => {
    throw configError(
      `A dynamic stream built from its template is not valid at ${formatPath(path)}: ${message}`,
    );
  });
  return visit('', component, {}, []);
}

type Visit = (
  field: string,
  component: Record<string, unknown>,
  inherited: Record<string, unknown>,
  path: PathStep[],
) => Record<string, unknown>;

function visitor(useParentParameters: boolean, onIssue: (path: PathStep[], message: string) => void): Visit {
  const visit = (
    field: string,
    component: Record<string, unknown>,
    inherited: Record<string, unknown>,
    path: PathStep[],
  ): Record<string, unknown> => {
    if (!Object.hasOwn(component, 'type')) {
      const table = Object.hasOwn(component, 'class_name') ? CUSTOM_TYPES : DEFAULT_TYPES;
      const found = table.get(field);
      if (found !== undefined) component.type = found;
    }

    const own = component[PARAMETERS_KEY];
    delete component[PARAMETERS_KEY];
    if (own !== undefined && !isPlainObject(own)) {
      onIssue(
        [...path, PARAMETERS_KEY],
        `$parameters must be a mapping of names to values, not ${describe(own)}`,
      );
    }
    const parameters: Record<string, unknown> = {};
    const layers = useParentParameters ? [own, inherited] : [inherited, own];
    for (const layer of layers) {
      if (isPlainObject(layer)) for (const key of Object.keys(layer)) setKey(parameters, key, layer[key]);
    }

    if (isJsonSchema(component)) return component;

    if (!Object.hasOwn(component, 'type')) {
      for (const key of Object.keys(component)) {
        const value = component[key];
        if (isPlainObject(value) && truthy(value.type)) {
          setKey(component, key, visit(field, value, cloneParameters(parameters), [...path, key]));
        }
      }
      return component;
    }

    for (const key of Object.keys(parameters)) {
      if (!truthy(component[key])) setKey(component, key, cloneJson(parameters[key]));
    }

    const prefix = typeName(component.type);
    for (const key of Object.keys(component)) {
      const value = component[key];
      if (!isPlainObject(value) && !Array.isArray(value)) continue;
      // A parameter named like the field is held back from that field's components.
      const heldBack = parameters[key];
      const hadKey = Object.hasOwn(parameters, key);
      delete parameters[key];
      const childField = `${prefix}.${key}`;
      if (isPlainObject(value)) {
        setKey(component, key, visit(childField, value, cloneParameters(parameters), [...path, key]));
      } else {
        value.forEach((item, index) => {
          if (isPlainObject(item)) {
            value[index] = visit(childField, item, cloneParameters(parameters), [...path, key, index]);
          }
        });
      }
      // As in the reference, a held-back parameter comes back at the end, and only when truthy.
      if (hadKey && truthy(heldBack)) setKey(parameters, key, heldBack);
    }

    if (Object.keys(parameters).length > 0) component[PARAMETERS_KEY] = parameters;
    return component;
  };
  return visit;
}

function cloneParameters(parameters: Record<string, unknown>): Record<string, unknown> {
  return cloneJson(parameters) as Record<string, unknown>;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
