// Before an instance switches a connector to a new version, the new version is tried with the real
// configs of the connections that use it: spec, check, and (for sources) discover, whose catalog is
// compared with the running version's for changes that would break those connections.

import { maskedLogger, type ReadContext } from '@conveyor/cdk';
import {
  asConveyorError,
  type Catalog,
  type ConnectionStatus,
  type JsonObject,
  SecretMasker,
  secretValues,
} from '@conveyor/protocol';
import type { StreamSelection } from '../catalog.js';
import { launchDestination, launchSource } from '../connector-ref.js';
import type { ConnectorKind, InstalledResolver, SourceHandle } from '../launcher.js';
import { breakingSchemaChanges } from '../schema-changes.js';

/** A connection that runs this connector, with the config it uses. */
export interface ConnectorUse {
  connection: string;
  kind: ConnectorKind;
  config: JsonObject;
  /** The streams the connection selects; all streams when absent. */
  streams?: StreamSelection[];
}

export interface TrialResult {
  ok: boolean;
  /** What failed, secrets masked */
  failure?: string;
  /** The failure may pass later (a transient error, or the running version fails the same way): hold, do not refuse. */
  retryable?: boolean;
  /** Schema changes that break a connection (the version is held for approval). */
  breaking: string[];
  /** What was tried, for the record. */
  tried: string[];
}

function resolverFor(pkg: string, folder: string, version: string): InstalledResolver {
  return { folderFor: (name) => (name === pkg ? { folder, version } : undefined) };
}

export interface TrialInput {
  pkg: string;
  kind: ConnectorKind;
  version: string;
  folder: string;
  /** The version running now, to compare catalogs with (absent on a first install). */
  current?: { version: string; folder: string };
  uses: ConnectorUse[];
  ctx: ReadContext;
  cwd: string;
}

/** Does the running version pass the same check? If not, the new one is not to blame. */
async function currentAlsoFails(input: TrialInput, use: ConnectorUse, ctx: ReadContext): Promise<boolean> {
  if (!input.current) return false;
  try {
    const options = {
      cwd: input.cwd,
      installed: resolverFor(input.pkg, input.current.folder, input.current.version),
    };
    const running =
      input.kind === 'source'
        ? await launchSource(input.pkg, options)
        : await launchDestination(input.pkg, options);
    return (await running.check(use.config, ctx)).status !== 'SUCCEEDED';
  } catch {
    return true;
  }
}

export async function tryVersion(input: TrialInput): Promise<TrialResult> {
  const { pkg, kind, version } = input;
  const tried: string[] = [];
  const masker = new SecretMasker();
  const ctx: ReadContext = { ...input.ctx, logger: maskedLogger(input.ctx.logger, masker) };
  const options = (folder: string, v: string) => ({ cwd: input.cwd, installed: resolverFor(pkg, folder, v) });
  const result = (failure: string, retryable: boolean): TrialResult => ({
    ok: false,
    failure: masker.mask(failure),
    retryable,
    breaking: [],
    tried,
  });
  const fail = (step: string, error: unknown): TrialResult => {
    const e = asConveyorError(error);
    return result(`${step} failed: ${e.userMessage}`, e.failureType === 'transient_error');
  };
  let handle: Awaited<ReturnType<typeof launchSource>> | Awaited<ReturnType<typeof launchDestination>>;
  try {
    handle =
      kind === 'source'
        ? await launchSource(pkg, options(input.folder, version))
        : await launchDestination(pkg, options(input.folder, version));
    const spec = await handle.spec(ctx);
    masker.add(input.uses.flatMap((u) => secretValues(spec.connectionSpecification, u.config)));
    tried.push('spec');
  } catch (error) {
    return fail(`loading ${pkg}@${version} and reading its spec`, error);
  }
  const breaking: string[] = [];
  for (const use of input.uses) {
    let checked: ConnectionStatus;
    try {
      checked = await handle.check(use.config, ctx);
    } catch (error) {
      const failed = fail(`check with the config of connection "${use.connection}"`, error);
      return { ...failed, retryable: failed.retryable || (await currentAlsoFails(input, use, ctx)) };
    }
    if (checked.status !== 'SUCCEEDED') {
      // a source that is down fails every version's check: that is a reason to wait, not to refuse
      const retryable = await currentAlsoFails(input, use, ctx);
      return result(
        `check with the config of connection "${use.connection}" failed: ${checked.message ?? 'no message'}${retryable ? ' (the running version fails it too, so it will be tried again)' : ''}`,
        retryable,
      );
    }
    tried.push(`check (${use.connection})`);
    if (kind !== 'source') continue;
    let after: Catalog;
    try {
      after = await (handle as SourceHandle).discover(use.config, ctx);
      tried.push(`discover (${use.connection})`);
    } catch (error) {
      return fail(`discover with the config of connection "${use.connection}"`, error);
    }
    if (!input.current) continue;
    let before: Catalog;
    try {
      const running = await launchSource(pkg, options(input.current.folder, input.current.version));
      before = await running.discover(use.config, ctx);
    } catch (error) {
      // without the running catalog nothing proves the switch is safe: wait and try again
      return result(
        `could not discover with the running ${pkg}@${input.current.version} to compare catalogs (${asConveyorError(error).userMessage})`,
        true,
      );
    }
    for (const problem of breakingSchemaChanges(before, after, use.streams)) {
      breaking.push(`connection "${use.connection}": ${problem}`);
    }
  }
  if (input.uses.length === 0) tried.push('no connection uses it yet: spec only');
  return { ok: true, breaking: breaking.map((b) => masker.mask(b)), tried };
}
