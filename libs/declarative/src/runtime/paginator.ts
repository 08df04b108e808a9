// Pagination as manifests declare it: DefaultPaginator = a strategy that computes the next token
// (a cursor from the response, an offset, a page number) + where the token goes (a request option,
// or the whole next URL as the path) + where the page size goes. NoPagination reads one page.

import {
  cursorPagination,
  type HttpResponse,
  offsetPagination,
  type PageToken,
  type PaginationStrategy,
  pageNumberPagination,
} from '@conveyor/http';
import { configError } from '@conveyor/protocol';
import { type Config, Interpolated, InterpolatedCondition } from './interpolated.js';
import { emptyParts, RequestOption, type RequestParts } from './request-parts.js';
import type { Mapping } from './slice.js';

/** What the paginator sees of the page just read. */
export interface PageOutcome {
  response: HttpResponse;
  /** the first decoded body, as templates see `response` */
  body: unknown;
  headers: Mapping;
  /** records extracted from the page before filtering */
  extracted: readonly unknown[];
  /** records emitted from the page (after filtering) */
  lastPageSize: number;
  lastRecord: Mapping | undefined;
  /** the token that fetched this page (undefined for the first) */
  lastToken: unknown;
  sliceScope: Mapping;
}

function pageSizeOf(value: unknown, parameters: Mapping, config: Config): number | undefined {
  if (value === undefined || value === null) return undefined;
  const evaluated = Interpolated.of(typeof value === 'number' ? String(value) : value, parameters).eval(
    config,
  );
  if (typeof evaluated !== 'number' || !Number.isInteger(evaluated)) {
    throw configError(
      `The paginator's page_size evaluates to ${JSON.stringify(evaluated)}; it must be an integer.`,
    );
  }
  return evaluated;
}

/** The HTTP family's strategy for a manifest's pagination_strategy; `page.records` are the records extracted before filtering. */
function strategyFrom(
  model: Mapping,
  parameters: Mapping,
  config: Config,
  outcome: () => PageOutcome,
): PaginationStrategy {
  const pageSize = pageSizeOf(model.page_size, parameters, config);
  switch (model.type) {
    case 'CursorPagination': {
      const cursorValue = Interpolated.of(model.cursor_value, parameters);
      const stop =
        model.stop_condition === undefined
          ? undefined
          : InterpolatedCondition.of(model.stop_condition, parameters);
      const scope = () => {
        const page = outcome();
        return {
          response: page.body,
          headers: page.headers,
          last_record: page.lastRecord ?? null,
          last_page_size: page.lastPageSize,
          page_size: pageSize ?? null,
          ...page.sliceScope,
        };
      };
      return cursorPagination({
        pageSize,
        stopWhen: stop ? () => stop.eval(config, scope()) : undefined,
        next: () => cursorValue.eval(config, scope()),
      });
    }
    case 'OffsetIncrement':
      return offsetPagination({ pageSize, injectOnFirstRequest: model.inject_on_first_request === true });
    case 'PageIncrement':
      return pageNumberPagination({
        pageSize,
        startFrom: Number(model.start_from_page ?? 0),
        injectOnFirstRequest: model.inject_on_first_request === true,
      });
    default:
      throw configError(
        `The pagination strategy "${String(model.type)}" is not supported (supported: CursorPagination, OffsetIncrement, PageIncrement).`,
      );
  }
}

export interface Paginator {
  initialToken(): unknown;
  /** the token for the next page, undefined when this was the last page */
  next(page: PageOutcome): unknown;
  /** what the token (and the page size) add to a request */
  requestParts(token: unknown, config: Config): RequestParts;
  /** a token that is the next page's URL replaces the path */
  path(token: unknown): string | undefined;
}

export const noPagination: Paginator = {
  initialToken: () => undefined,
  next: () => undefined,
  requestParts: () => emptyParts(),
  path: () => undefined,
};

export function paginatorFrom(model: Mapping | undefined, parameters: Mapping, config: Config): Paginator {
  if (!model || model.type === 'NoPagination') return noPagination;
  if (model.type !== 'DefaultPaginator')
    throw configError(`The paginator "${String(model.type)}" is not supported.`);
  const params = { ...parameters, ...((model.$parameters as Mapping) ?? {}) };
  let current: PageOutcome | undefined;
  const strategy = strategyFrom(model.pagination_strategy as Mapping, params, config, () => current!);
  const tokenModel = model.page_token_option as Mapping | undefined;
  const tokenIsPath = tokenModel?.type === 'RequestPath';
  const tokenOption = tokenModel && !tokenIsPath ? RequestOption.from(tokenModel, params) : undefined;
  const sizeOption = model.page_size_option
    ? RequestOption.from(model.page_size_option as Mapping, params)
    : undefined;
  return {
    initialToken: () => strategy.initialToken(),
    next(page) {
      current = page;
      return strategy.nextToken({
        response: page.response,
        records: page.extracted,
        lastRecord: page.lastRecord,
        token: page.lastToken as PageToken | undefined,
      });
    },
    requestParts(token, config) {
      const parts = emptyParts();
      if (tokenOption && token !== undefined && token !== null) tokenOption.inject(parts, token, config);
      const size = strategy.pageSize;
      if (sizeOption && size !== undefined) sizeOption.inject(parts, size, config);
      return parts;
    },
    path: (token) =>
      tokenIsPath && token !== undefined && token !== null && token !== '' ? String(token) : undefined,
  };
}
