// One interface for every way a connector runs: in-process TypeScript packages, executables that
// speak the protocol, Airbyte packages from PyPI, Singer taps and targets, and container images.

import type {
  CommittedStates,
  DestinationWriter,
  Logger,
  QueryResult,
  ReadContext,
  SourceOutput,
  WriteContext,
} from '@conveyor/cdk';
import type {
  Catalog,
  ConfiguredCatalog,
  ConnectionStatus,
  ConnectorSpecification,
  JsonObject,
  StateMessage,
} from '@conveyor/protocol';

export type ConnectorKind = 'source' | 'destination';

interface ConnectorHandle {
  /** Short, human name used in messages: `faker`, `exec:./my-source` */
  readonly name: string;
  /** The package version that runs, when the connector is a package (recorded with each sync). */
  readonly version?: string;
  spec(ctx: ReadContext): Promise<ConnectorSpecification>;
  check(config: JsonObject, ctx: ReadContext): Promise<ConnectionStatus>;
}

/**
 * A source announced a new schema for a stream in the middle of a read (a Singer SCHEMA message):
 * records after it may carry properties the catalog did not have.
 */
export interface SchemaUpdate {
  kind: 'schema';
  stream: string;
  namespace?: string;
  schema: JsonObject;
}

export type SourceHandleOutput = SourceOutput | SchemaUpdate;

export interface SourceHandle extends ConnectorHandle {
  discover(config: JsonObject, ctx: ReadContext): Promise<Catalog>;
  read(
    config: JsonObject,
    catalog: ConfiguredCatalog,
    state: StateMessage[],
    ctx: ReadContext,
  ): AsyncIterable<SourceHandleOutput>;
}

export interface DestinationOpenContext extends WriteContext {
  /**
   * Called when the states committed under `seq` are durable. In-process destinations are durable
   * when `commit` resolves; subprocess destinations when they echo the state back.
   */
  onDurable(seq: number): void;
}

export interface DestinationHandle extends ConnectorHandle {
  open(
    config: JsonObject,
    catalog: ConfiguredCatalog,
    ctx: DestinationOpenContext,
  ): Promise<DestinationWriter>;
  committedStates(config: JsonObject, connectionId: string): Promise<CommittedStates | undefined>;
  /** Present when the destination can answer SQL about what it holds. */
  query?(config: JsonObject, sql: string): Promise<QueryResult>;
}

export interface Launcher {
  /** The scheme it serves in a connector reference (`exec` for `exec:PATH`), or undefined for package names. */
  readonly scheme: string | undefined;
  source(reference: string, options: LaunchOptions): Promise<SourceHandle>;
  destination(reference: string, options: LaunchOptions): Promise<DestinationHandle>;
}

export interface LaunchOptions {
  /** Directory from which packages are resolved (the project's directory). */
  cwd: string;
  /**
   * Connectors this instance installed from a registry, each in its own per-version folder; a
   * package found here is loaded from its current version before anything else is tried.
   */
  installed?: InstalledResolver;
  /** Where launchers report slow preparation, such as installing a Python package on first use. */
  logger?: Logger;
  /** Where Python connectors' virtualenvs are kept (default $CONVEYOR_PYTHON_ENVS or ~/.cache/conveyor/python). */
  pythonEnvs?: string;
}

export interface InstalledResolver {
  /** The folder holding `node_modules/<packageName>` for the version in use, or undefined. */
  folderFor(packageName: string): { folder: string; version: string } | undefined;
}
