// secrets and protocol_hygiene: read over every process run of the whole session.

import { type JsonObject, SecretMasker, secretValues } from '@conveyor/protocol';
import type { ProcessRun } from '../connector-process.js';
import { type CaseResult, expect, ofType, Skip, type SuiteContext, timed } from '../context.js';
import { stable } from '../stable-json.js';

export async function secretsSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  return [
    await timed('secrets', 'no configured secret appears in any output', () => {
      if (!ctx.spec) throw new Skip('no spec, so the secret fields are unknown');
      const schema = ctx.spec.connectionSpecification;
      const values = [...ctx.acceptance.configs, ...ctx.acceptance.invalidConfigs].flatMap((c) =>
        secretValues(schema, c.config),
      );
      const testable = [...new Set(values)].filter((v) => v.length >= 6);
      if (testable.length === 0) {
        throw new Skip(
          values.length
            ? 'the configs hold only secrets shorter than 6 characters, too short to search for'
            : 'no config holds a value the spec marks secret',
        );
      }
      const masker = new SecretMasker(testable);
      for (const run of ctx.runs) {
        for (const [where, text] of [
          ['stdout', run.stdout],
          ['stderr', run.stderr],
        ] as const) {
          const masked = masker.mask(text);
          if (masked !== text) {
            const line = masked.split('\n').find((l) => l.includes('****')) ?? '';
            throw new Error(
              `a configured secret (or its JSON-escaped, URL-encoded or base64 form) is on ${where} of \`${run.command}\`: ${line.slice(0, 200)}`,
            );
          }
        }
      }
      return `${testable.length} secret value(s) in no output of ${ctx.runs.length} runs`;
    }),
  ];
}

function isRead(run: ProcessRun): boolean {
  return / read$/.test(run.command);
}

export async function hygieneSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const completedReads = ctx.runs.filter((r) => isRead(r) && !r.killed && r.exitCode === 0);
  return [
    await timed('protocol_hygiene', 'nothing but protocol messages on stdout', () => {
      const dirty = ctx.runs.find((r) => r.stray.length > 0);
      expect(
        !dirty,
        `\`${dirty?.command}\` wrote ${dirty?.stray.length} line(s) that are not protocol messages to stdout, first: ${JSON.stringify(dirty?.stray[0])}. Write logs as LOG messages or to stderr.`,
      );
      return `${ctx.runs.length} runs clean`;
    }),
    await timed('protocol_hygiene', 'each read reports stream statuses', () => {
      if (completedReads.length === 0) throw new Skip('no completed read');
      for (const run of completedReads) {
        const statuses = ofType(run, 'TRACE')
          .filter((m) => m.trace.type === 'STREAM_STATUS')
          .map((m) => m.trace.stream_status as { stream_descriptor: { name: string }; status: string });
        const streams = new Set(ofType(run, 'RECORD').map((m) => m.record.stream));
        for (const stream of streams) {
          const mine = statuses.filter((s) => s.stream_descriptor.name === stream).map((s) => s.status);
          expect(
            mine.includes('STARTED') && mine.includes('COMPLETE'),
            `stream "${stream}" has records but its statuses are [${mine.join(', ')}]; a read reports STARTED and COMPLETE for each stream`,
          );
        }
      }
      return `${completedReads.length} read(s)`;
    }),
    await timed('protocol_hygiene', 'an incremental read ends with a state', () => {
      const incremental = completedReads.filter((r) => ofType(r, 'STATE').length > 0);
      if (incremental.length === 0) throw new Skip('no read emitted state');
      for (const run of incremental) {
        const types = run.messages.map((m) => m.type);
        expect(
          types.lastIndexOf('STATE') > types.lastIndexOf('RECORD'),
          `\`${run.command}\` emitted records after its last STATE, so they can never be checkpointed`,
        );
      }
      return `${incremental.length} read(s)`;
    }),
  ];
}

/** A destination gets RECORD and STATE messages on stdin and must echo each STATE once its records are written. */
export async function writeSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  return [
    await timed('write', 'every state comes back, in order, once its records were taken', async () => {
      const input = ctx.acceptance.writeInput ?? [];
      const streams = [
        ...new Set(
          input.filter((m) => m.type === 'RECORD').map((m) => String((m.record as JsonObject).stream)),
        ),
      ];
      const catalog = ctx.acceptance.catalog ?? {
        streams: streams.map((name) => ({
          stream: { name, json_schema: { type: 'object' }, supported_sync_modes: ['full_refresh'] },
          sync_mode: 'full_refresh',
          destination_sync_mode: 'append',
        })),
      };
      const { config } = ctx.acceptance.configs[0]!;
      const run = await ctx.run(['write'], {
        config,
        catalog,
        stdin: `${input.map((m) => JSON.stringify(m)).join('\n')}\n`,
      });
      expect(
        run.exitCode === 0,
        `write exited with ${run.exitCode}: ${run.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      );
      // a destination may add the counts it wrote (destinationStats); the state itself must come back unchanged
      const bare = (state: unknown) => {
        const { destinationStats: _d, sourceStats: _s, ...rest } = state as JsonObject;
        return stable(rest);
      };
      const sent = input.filter((m) => m.type === 'STATE').map((m) => bare(m.state));
      const echoed = ofType(run, 'STATE').map((m) => bare(m.state));
      const last = sent.at(-1);
      expect(
        last === undefined || echoed.includes(last),
        'the last STATE was never echoed: nothing would be committed',
      );
      // each echo must match a state sent after the one matched before it
      let at = -1;
      for (const e of echoed) {
        const found = sent.indexOf(e, at + 1);
        expect(found >= 0, 'the destination echoed a state it was not sent, or out of order');
        at = found;
      }
      return `${echoed.length} of ${sent.length} state(s) echoed in order`;
    }),
  ];
}
