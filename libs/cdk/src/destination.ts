// The base class of a TypeScript destination. A destination opens a writer per sync; the writer
// stages batches, makes them durable on commit, and finishes or discards them at the end. The
// entrypoint (`write` command) and the engine's in-process launcher both drive that writer, so a
// destination never deals with stdin or STATE echoing itself.

import type {
  ConfiguredCatalog,
  ConnectionStatus,
  ConnectorSpecification,
  JsonObject,
} from '@conveyor/protocol';
import type {
  CommittedStates,
  DestinationConnector,
  DestinationWriter,
  ReadContext,
  WriteContext,
} from './types.js';

export abstract class Destination<Config extends JsonObject = JsonObject>
  implements DestinationConnector<Config>
{
  abstract spec(): ConnectorSpecification;

  /** Connect and prove the config works (credentials, permissions, the target exists or can be made). */
  abstract check(config: Config, ctx: ReadContext): Promise<ConnectionStatus>;

  abstract open(config: Config, catalog: ConfiguredCatalog, ctx: WriteContext): Promise<DestinationWriter>;

  /** Exactly-once destinations override this to return the states committed with their data. */
  committedStates?(config: Config, connectionId: string): Promise<CommittedStates | undefined>;
}
