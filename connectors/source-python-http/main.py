#!/usr/bin/env python3
"""A Conveyor source in Python using only the standard library: pages of JSON records from an HTTP
API (`GET {base_url}/{endpoint}?page=N` with a bearer token), speaking the protocol on stdout.

urllib honours HTTPS_PROXY and SSL_CERT_FILE, so the acceptance kit records and replays it like any
other connector. Incremental on an `updated_at` cursor; a STATE after every page."""

import json
import sys
import time
import urllib.error
import urllib.request

SPEC = {
    "documentationUrl": "https://conveyor.dev/connectors/source-python-http",
    "connectionSpecification": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "HTTP JSON API (Python)",
        "type": "object",
        "required": ["base_url", "api_token"],
        "additionalProperties": False,
        "properties": {
            "base_url": {"type": "string", "description": "Root of the API, like https://api.example.test/v1"},
            "api_token": {"type": "string", "airbyte_secret": True, "description": "Sent as a bearer token"},
            "endpoint": {"type": "string", "default": "items", "description": "Path of the collection"},
        },
    },
}

STREAM = {
    "name": "items",
    "json_schema": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "supported_sync_modes": ["full_refresh", "incremental"],
    "source_defined_cursor": True,
    "default_cursor_field": ["updated_at"],
    "source_defined_primary_key": [["id"]],
}


def emit(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")


def now_ms():
    return int(time.time() * 1000)


def trace_error(message, failure_type):
    emit({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": now_ms(),
                                     "error": {"message": message, "failure_type": failure_type}}})


def stream_status(status):
    emit({"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": now_ms(),
                                     "stream_status": {"stream_descriptor": {"name": "items"}, "status": status}}})


class ConfigError(Exception):
    pass


class TransientError(Exception):
    pass


def read_json_arg(name):
    if f"--{name}" not in sys.argv:
        return None
    path = sys.argv[sys.argv.index(f"--{name}") + 1]
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def validated(config):
    problems = [f"{key} is required" for key in ("base_url", "api_token") if not isinstance(config.get(key), str)]
    unknown = set(config) - set(SPEC["connectionSpecification"]["properties"])
    problems += [f"{key} is not a known field" for key in sorted(unknown)]
    if problems:
        raise ConfigError("The config is invalid: " + "; ".join(problems) + ".")
    return config


def get_page(config, page):
    url = f"{config['base_url'].rstrip('/')}/{config.get('endpoint', 'items')}?page={page}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {config['api_token']}",
                                                   "Accept": "application/json"})
    where = url.split("?")[0]
    for attempt in range(3):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise ConfigError(f"{where} refused the token (HTTP {error.code}); check api_token.") from None
            if error.code != 429 and error.code < 500:
                raise ConfigError(f"{where} answered HTTP {error.code}; check base_url and endpoint.") from None
        except (urllib.error.URLError, TimeoutError) as error:
            if attempt == 2:
                raise TransientError(f"{where} could not be reached ({error}); try again later.") from None
        time.sleep(0.2 * 2 ** attempt)
    raise TransientError(f"{where} kept failing; try again later.")


def read(config, catalog, states):
    selected = [s for s in catalog.get("streams", []) if s["stream"]["name"] == "items"]
    if not selected:
        return
    incremental = selected[0].get("sync_mode") == "incremental"
    cursor = ""
    for state in states or []:
        stream_state = (state.get("stream") or {}).get("stream_state") or {}
        cursor = max(cursor, stream_state.get("updated_at", ""))
    stream_status("STARTED")
    page, newest = 1, cursor
    while page:
        body = get_page(config, page)
        for item in body.get("items", []):
            if not isinstance(item.get("updated_at"), str):
                raise ConfigError(f"an item has no updated_at text (id {item.get('id')}); check endpoint")
            if incremental and item["updated_at"] < cursor:
                continue
            newest = max(newest, item["updated_at"])
            emit({"type": "RECORD", "record": {"stream": "items", "data": item, "emitted_at": now_ms()}})
        if incremental:
            emit({"type": "STATE", "state": {"type": "STREAM", "stream": {
                "stream_descriptor": {"name": "items"}, "stream_state": {"updated_at": newest}}}})
        page = body.get("next_page")
    stream_status("COMPLETE")


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if command == "spec":
            emit({"type": "SPEC", "spec": SPEC})
        elif command == "check":
            try:
                get_page(validated(read_json_arg("config") or {}), 1)
                emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}})
            except Exception as error:  # a check reports every failure, it never crashes
                emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": str(error)}})
        elif command == "discover":
            validated(read_json_arg("config") or {})
            emit({"type": "CATALOG", "catalog": {"streams": [STREAM]}})
        elif command == "read":
            read(validated(read_json_arg("config") or {}), read_json_arg("catalog") or {}, read_json_arg("state"))
        else:
            sys.stderr.write("usage: main.py spec | check --config F | discover --config F | "
                             "read --config F --catalog F [--state F]\n")
            return 2
    except ConfigError as error:
        trace_error(str(error), "config_error")
        return 1
    except TransientError as error:
        trace_error(str(error), "transient_error")
        return 1
    except Exception as error:  # anything unexpected is still reported as a protocol message
        trace_error(f"{type(error).__name__}: {error}", "system_error")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
