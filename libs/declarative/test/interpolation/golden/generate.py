"""Golden outputs of the reference's interpolation (airbyte-cdk), for the TypeScript engine's tests.

Run with the reference's interpreter:
    /work/peers/airbyte-cdk/bin/python libs/declarative/test/interpolation/golden/generate.py
It writes golden.json beside this script: for every case, what the reference renders (Jinja's text,
or the exception type) and what JinjaInterpolation.eval / InterpolatedBoolean.eval return.
The clock is frozen at 2024-03-15T10:20:30.123+00:00 so the date macros are deterministic.
Corpus templates are read from ../shared/corpus/airbyte-manifests at generation time only.
"""

import datetime as real_datetime
import glob
import json
import os
import random
import sys
import types

import yaml

from airbyte_cdk.sources.declarative.interpolation import macros as macros_module
from airbyte_cdk.sources.declarative.interpolation.interpolated_boolean import InterpolatedBoolean
from airbyte_cdk.sources.declarative.interpolation.jinja import _ENVIRONMENT, JinjaInterpolation

FROZEN = real_datetime.datetime(2024, 3, 15, 10, 20, 30, 123000, tzinfo=real_datetime.timezone.utc)


class _FrozenMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, real_datetime.datetime)


class _FrozenDatetime(real_datetime.datetime, metaclass=_FrozenMeta):
    @classmethod
    def now(cls, tz=None):
        return FROZEN.astimezone(tz) if tz else FROZEN.replace(tzinfo=None)


macros_module.datetime = types.SimpleNamespace(
    datetime=_FrozenDatetime,
    timezone=real_datetime.timezone,
    timedelta=real_datetime.timedelta,
    date=real_datetime.date,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "../../../../../../shared/corpus/airbyte-manifests")

CONFIG = {
    "api_key": "secret-key",
    "start_date": "2023-01-15T00:00:00Z",
    "end_date": "2023-02-01",
    "domain": "example",
    "subdomain": "acme",
    "region": "EU",
    "page_size": 50,
    "count": 3,
    "ratio": 2.5,
    "enabled": True,
    "disabled": False,
    "nothing": None,
    "empty": "",
    "zero": 0,
    "items": ["a", "b", "c"],
    "numbers": [3, 1, 2],
    "nested": {"inner": {"value": "deep"}, "list": [1, 2]},
    "credentials": {"auth_type": "oauth", "client_id": "cid", "client_secret": "csecret", "access_token": "tok"},
    "tickers": "AAPL, MSFT ,GOOG",
    "lat": "45.5",
    "account_ids": ["1", "2"],
    "lookback_window": 7,
    "spreadsheet_id": "https://docs.google.com/spreadsheets/d/1abcdefghijklmnopqrstuvwxyz/edit",
    "host": "api.example.com",
    "timestamp_int": 1658505815,
    "date_only": "2022-01-14",
    "iso_offset": "2022-01-14T10:00:00+05:30",
    "mixed_case": "Hello World",
    "padded": "  padded  ",
    "text_number": "42",
    "text_float": "3.75",
    "percent": "12.5%",
    "json_text": "{\"a\": 1}",
}
RESPONSE = {
    "data": [{"id": 1, "name": "one", "updated_at": "2023-01-02T03:04:05Z"}, {"id": 2, "name": "two", "updated_at": "2023-01-03T00:00:00Z"}],
    "next": "https://api.example.com/items?page=2",
    "next_page_token": "abc",
    "meta": {"page": 1, "total_pages": 3, "has_more": True, "cursor": None},
    "offset": 100,
    "links": {"next": {"href": "/v1/items?cursor=xyz"}},
    "total": 10,
    "has_more": False,
}
RECORD = {
    "id": 42,
    "name": "Widget",
    "created_at": "2023-01-02T03:04:05Z",
    "updated_at": "2023-01-03T10:00:00.123456+02:00",
    "timestamp": 1672628645,
    "price": "1,234.50",
    "tags": ["x", "y"],
    "owner": {"id": 7, "email": "a@b.c"},
    "status": "active",
    "empty": None,
    "date": "2023-05-06",
}
STREAM_SLICE = {"start_time": "2023-01-01T00:00:00Z", "end_time": "2023-01-31T23:59:59Z", "parent_id": "p1", "id": 5}
BASE_CONTEXT = {
    "config": CONFIG,
    "response": RESPONSE,
    "record": RECORD,
    "stream_slice": STREAM_SLICE,
    "next_page_token": {"next_page_token": 2},
    "last_record": RECORD,
    "last_page_size": 2,
    "headers": {"link": "<https://api.example.com/items?page=3>; rel=\"next\"", "x-total": "10"},
    "parameters": {"name": "items", "path": "/items", "primary_key": "id"},
}

# (template, options) — options: default, valid_types (names), boolean, context (overrides)
CASES = [
    # literals and printing
    ("{{ 5 }}", {}), ("{{ 5.0 }}", {}), ("{{ -3 }}", {}), ("{{ 1_000 }}", {}), ("{{ 1e3 }}", {}), ("{{ 0.1 + 0.2 }}", {}),
    ("{{ 1e20 }}", {}), ("{{ 1e-5 }}", {}), ("{{ 123456789.125 }}", {}), ("{{ 'text' }}", {}), ("{{ \"dq\" }}", {}),
    ("{{ 'it''s' }}", {}), ("{{ 'a' 'b' }}", {}), ("{{ '\\n' }}x", {}), ("{{ 'tab\\there' }}", {}), ("{{ '\\\\w' }}", {}),
    ("{{ True }}", {}), ("{{ false }}", {}), ("{{ None }}", {}), ("{{ none }}", {}), ("{{ [1, 'a', None, True, 1.5] }}", {}),
    ("{{ (1, 2) }}", {}), ("{{ (1,) }}", {}), ("{{ () }}", {}), ("{{ {'a': 1, 'b': [1, 2]} }}", {}), ("{{ {} }}", {}),
    ("{{ {'k': \"it's\"} }}", {}), ("{{ ['x\"y'] }}", {}), ("{{ 1, 2 }}", {}), ("{{ {1: 'one'} }}", {}),
    ("{{ [1.0, 2.50] }}", {}), ("{{ {'a': None, 'b': False} }}", {}),
    # arithmetic
    ("{{ 5 / 2 }}", {}), ("{{ 4 / 2 }}", {}), ("{{ 7 // 2 }}", {}), ("{{ -7 // 2 }}", {}), ("{{ 7 % 3 }}", {}), ("{{ -7 % 3 }}", {}),
    ("{{ 7.5 // 2 }}", {}), ("{{ 2 ** 10 }}", {}), ("{{ 2 ** -1 }}", {}), ("{{ -2 ** 2 }}", {}), ("{{ 2 ** 3 ** 2 }}", {}),
    ("{{ 1 + 2 * 3 }}", {}), ("{{ (1 + 2) * 3 }}", {}), ("{{ 1 + 1.0 }}", {}), ("{{ 3 * 1.5 }}", {}), ("{{ 10 - 2.5 }}", {}),
    ("{{ 'ab' * 3 }}", {}), ("{{ [1] * 3 }}", {}), ("{{ 'a' + 'b' }}", {}), ("{{ [1] + [2] }}", {}), ("{{ 'a' ~ 1 ~ 1.0 ~ None ~ True }}", {}),
    ("{{ 1 + 2 ~ 3 }}", {}), ("{{ +5 }}", {}), ("{{ -config.page_size }}", {}), ("{{ config.page_size * 2 }}", {}),
    ("{{ config.ratio * 2 }}", {}), ("{{ 'a' + 1 }}", {}), ("{{ none + 1 }}", {}), ("{{ 1 / 0 }}", {}),
    ("{{ '%02d' % 5 }}", {}), ("{{ '%s-%s' % ('a', 1) }}", {}), ("{{ '%.2f' % 3.14159 }}", {}), ("{{ '%5s|%-5s|' % ('r', 'l') }}", {}),
    ("{{ '%x %o %e' % (255, 8, 12345.678) }}", {}), ("{{ '%d%%' % 50 }}", {}),
    # comparisons and logic
    ("{{ 1 < 2 }}", {}), ("{{ 1 < 2 < 3 }}", {}), ("{{ 3 > 2 > 2 }}", {}), ("{{ 1 == 1.0 }}", {}), ("{{ 'a' < 'b' }}", {}),
    ("{{ 'B' < 'a' }}", {}), ("{{ [1, 2] < [1, 3] }}", {}), ("{{ 1 != 2 }}", {}), ("{{ 'a' in 'cat' }}", {}), ("{{ 'x' not in ['a'] }}", {}),
    ("{{ 'api_key' in config }}", {}), ("{{ 'missing' in config }}", {}), ("{{ 1 < 'a' }}", {}), ("{{ 0 and 1 }}", {}),
    ("{{ 0 or 'x' }}", {}), ("{{ 1 and 'y' }}", {}), ("{{ None or [] }}", {}), ("{{ not 0 }}", {}), ("{{ not 'a' }}", {}),
    ("{{ 'y' if config.enabled else 'n' }}", {}), ("{{ 'y' if config.disabled else 'n' }}", {}), ("{{ 'y' if config.disabled }}", {}),
    ("{{ 'a' if 0 else 'b' if 0 else 'c' }}", {}), ("{{ config.nothing is none }}", {}), ("{{ config.missing is defined }}", {}),
    ("{{ config.api_key is defined }}", {}), ("{{ config.missing is not defined }}", {}), ("{{ config.page_size is number }}", {}),
    ("{{ config.api_key is string }}", {}), ("{{ config.nested is mapping }}", {}), ("{{ 4 is divisibleby 2 }}", {}), ("{{ 3 is odd }}", {}),
    ("{{ 'a' is in ['a'] }}", {}), ("{{ 1 is sameas true }}", {}), ("{{ True is sameas true }}", {}), ("{{ 5 is gt 3 }}", {}),
    ("{{ config.items is iterable }}", {}), ("{{ 1.5 is float }}", {}), ("{{ 1 is integer }}", {}),
    # attribute and item access
    ("{{ config.api_key }}", {}), ("{{ config['api_key'] }}", {}), ("{{ config.nested.inner.value }}", {}), ("{{ config['nested']['list'][1] }}", {}),
    ("{{ config.items[-1] }}", {}), ("{{ config.items.0 }}", {}), ("{{ config.missing }}", {}), ("{{ config.missing.deeper }}", {}),
    ("x{{ config.missing }}y", {}), ("{{ config.items[10] }}", {}), ("{{ config.api_key[0] }}", {}), ("{{ config.api_key[1:4] }}", {}),
    ("{{ config.api_key[::-1] }}", {}), ("{{ config.items[1:] }}", {}), ("{{ config.items[:-1] }}", {}), ("{{ config.api_key[-3:] }}", {}),
    ("{{ config.nothing.attr }}", {}), ("{{ config.get('api_key') }}", {}), ("{{ config.get('missing') }}", {}),
    ("{{ config.get('missing', 'dflt') }}", {}), ("{{ config.get('missing', {}).get('x', 5) }}", {}), ("{{ config.keys() | list }}", {}),
    ("{{ config.nested.values() | list | length }}", {}), ("{{ config.credentials.items() | list }}", {}), ("{{ response.data[0].name }}", {}),
    ("{{ response['meta']['cursor'] }}", {}), ("{{ response.links.next.href }}", {}), ("{{ stream_slice.start_time }}", {}),
    ("{{ stream_interval.end_time }}", {}), ("{{ stream_partition.parent_id }}", {}), ("{{ next_page_token['next_page_token'] }}", {}),
    ("{{ last_page_size }}", {}), ("{{ headers['x-total'] }}", {}), ("{{ parameters.name }}", {}), ("{{ record.owner.email }}", {}),
    ("{{ undeclared_name }}", {}), ("{{ range(3) }}", {}), ("{{ config.get }}", {"render_only": True}),
    # string methods
    ("{{ config.mixed_case.lower() }}", {}), ("{{ config.mixed_case.upper() }}", {}), ("{{ config.padded.strip() }}", {}),
    ("{{ config.padded.lstrip() }}|", {}), ("{{ 'xxhixx'.strip('x') }}", {}), ("{{ config.tickers.split(',') }}", {}),
    ("{{ 'a b  c'.split() }}", {}), ("{{ 'a,b,c'.split(',', 1) }}", {}), ("{{ 'a,b,c'.rsplit(',', 1) }}", {}),
    ("{{ config.mixed_case.replace('o', '0') }}", {}), ("{{ 'aaa'.replace('a', 'b', 2) }}", {}), ("{{ config.api_key.startswith('sec') }}", {}),
    ("{{ config.api_key.endswith(('x', 'key')) }}", {}), ("{{ ', '.join(config.items) }}", {}), ("{{ '-'.join(['a', 'b']) }}", {}),
    ("{{ 'https://{}/v1'.format(config.host) }}", {}), ("{{ '{0}-{1}'.format('a', 2) }}", {}), ("{{ '{name}!'.format(name='x') }}", {}),
    ("{{ '{:05.1f}'.format(3.14159) }}", {}), ("{{ 'hello world'.title() }}", {}), ("{{ 'hello'.capitalize() }}", {}),
    ("{{ 'abc'.find('c') }}", {}), ("{{ '42'.isdigit() }}", {}), ("{{ '7'.zfill(3) }}", {}), ("{{ 'a-b'.partition('-') }}", {}),
    ("{{ 'abcabc'.count('b') }}", {}), ("{{ 'x'.join(1) }}", {}),
    # list and dict methods
    ("{% set l = [] %}{% set _ = l.append(1) %}{% set _ = l.append('b') %}{{ l }}", {}),
    ("{% set d = {} %}{% set _ = d.update({'k': 1}) %}{{ d }}", {}), ("{% set l = [3, 1, 2] %}{{ l.index(1) }}", {}),
    ("{% set d = {'a': 1} %}{{ d.pop('a') }}{{ d }}", {}), ("{{ [1, 2, 2].count(2) }}", {}),
    # filters
    ("{{ config.missing | default('fallback') }}", {}), ("{{ config.empty | default('fallback') }}", {}), ("{{ config.empty | default('fallback', true) }}", {}),
    ("{{ config.nothing | d('x') }}", {}), ("{{ config.items | length }}", {}), ("{{ config.api_key | length }}", {}), ("{{ config.items | first }}", {}),
    ("{{ config.items | last }}", {}), ("{{ config.items | join(',') }}", {}), ("{{ config.numbers | join }}", {}), ("{{ config.mixed_case | lower }}", {}),
    ("{{ config.mixed_case | upper }}", {}), ("{{ config.padded | trim }}", {}), ("{{ config.percent | replace('%', '') }}", {}),
    ("{{ config.percent | replace('%', '') | float }}", {}), ("{{ config.text_number | int }}", {}), ("{{ config.text_float | int }}", {}),
    ("{{ config.text_float | float }}", {}), ("{{ 'abc' | float }}", {}), ("{{ 'abc' | int(7) }}", {}), ("{{ None | int }}", {}),
    ("{{ 3.9 | int }}", {}), ("{{ '0x1A' | int(0, 16) }}", {}), ("{{ 5 | float }}", {}), ("{{ config.missing | float }}", {}),
    ("{{ config.numbers | sort }}", {}), ("{{ config.numbers | sort(reverse=true) }}", {}), ("{{ config.numbers | max }}", {}),
    ("{{ config.numbers | min }}", {}), ("{{ config.numbers | sum }}", {}), ("{{ ['B', 'a', 'b'] | unique | list }}", {}),
    ("{{ config.items | reverse | list }}", {}), ("{{ response.data | map(attribute='id') | list }}", {}), ("{{ config.items | map('upper') | list }}", {}),
    ("{{ response.data | selectattr('id', 'equalto', 2) | list }}", {}), ("{{ response.data | rejectattr('id', 'eq', 2) | map(attribute='name') | join(',') }}", {}),
    ("{{ [0, 1, '', 'a'] | select | list }}", {}), ("{{ config.numbers | select('odd') | list }}", {}), ("{{ 'abc' | list }}", {}),
    ("{{ response.meta | tojson }}", {}), ("{{ {'b': 1, 'a': '<x>'} | tojson }}", {}), ("{{ none | tojson }}", {}), ("{{ config.items | string }}", {}),
    ("{{ 5 | string }}", {}), ("{{ 'already' | string }}", {}), ("{{ response.meta | string }}", {}), ("{{ 'a b&c/d' | urlencode }}", {}),
    ("{{ {'q': 'a b', 'n': 1} | urlencode }}", {}), ("{{ -3 | abs }}", {}), ("{{ 2.567 | round(2) }}", {}), ("{{ 2.5 | round }}", {}),
    ("{{ 'hello world' | title }}", {}), ("{{ 'hello' | capitalize }}", {}), ("{{ config.nested | list }}", {}), ("{{ '%s=%s' | format('a', 1) }}", {}),
    ("{{ config.api_key | hash }}", {}), ("{{ config.api_key | hash('sha256') }}", {}), ("{{ config.api_key | hash('sha1', 'salt') }}", {}),
    ("{{ record | hash('md5') }}", {}), ("{{ 42 | hash }}", {}), ("{{ 'x' | hash('nope') }}", {}), ("{{ config.api_key | base64encode }}", {}),
    ("{{ 'c2VjcmV0LWtleQ==' | base64decode }}", {}), ("{{ 'user:pass' | base64binascii_decode }}", {}), ("{{ config.spreadsheet_id | regex_search('/d/([-\\\\w]{20,})') }}", {}),
    ("{{ 'abc' | regex_search('z(.)') }}", {}), ("{{ 'abc' | regex_search('b') }}", {}), ("{{ 'a1b22c' | regex_replace('[0-9]+', '#') }}", {}),
    ("{{ 'John Smith' | regex_replace('(\\\\w+) (\\\\w+)', '\\\\2, \\\\1') }}", {}), ("{{ 'message' | hmac('key') }}", {}), ("{{ 'message' | hmac('key', 'md5') }}", {}),
    ("{{ config.credentials.client_id ~ ':' ~ config.credentials.client_secret | base64encode }}", {}),
    ("{{ (config.credentials.client_id ~ ':' ~ config.credentials.client_secret) | base64encode }}", {}),
    # macros
    ("{{ now_utc() }}", {}), ("{{ now_utc().strftime('%Y-%m-%dT%H:%M:%SZ') }}", {}), ("{{ now_utc().isoformat() }}", {}), ("{{ today_utc() }}", {}),
    ("{{ today_utc().strftime('%Y-%m-%d') }}", {}), ("{{ today_with_timezone('Pacific/Tarawa') }}", {}), ("{{ today_with_timezone('America/Los_Angeles') }}", {}),
    ("{{ day_delta(-1) }}", {}), ("{{ day_delta(3, '%Y-%m-%d') }}", {}), ("{{ day_delta(-7, format='%Y-%m-%dT%H:%M:%SZ') }}", {}),
    ("{{ duration('P1D') }}", {}), ("{{ duration('PT1H30M') }}", {}), ("{{ duration('P1M') }}", {}), ("{{ duration('P1Y2M3DT4H') }}", {}),
    ("{{ duration('P2W') }}", {}), ("{{ duration('PT0.5S') }}", {}), ("{{ now_utc() - duration('P1D') }}", {}), ("{{ (now_utc() - duration('P1M')).strftime('%Y-%m-%d') }}", {}),
    ("{{ (now_utc() - duration('P1Y')).isoformat() }}", {}), ("{{ (today_utc() - duration('P60D')).strftime('%Y%m%d') }}", {}),
    ("{{ str_to_datetime('2024-02-29T12:00:00') + duration('P1Y') }}", {}), ("{{ str_to_datetime('2024-01-31') + duration('P1M') }}", {}),
    ("{{ str_to_datetime('2022-01-14') }}", {}), ("{{ str_to_datetime('2022-01-14T10:00:00+05:30') }}", {}), ("{{ str_to_datetime('2022-01-14T10:00:00.5Z').isoformat() }}", {}),
    ("{{ str_to_datetime('20220114T1000') }}", {}), ("{{ str_to_datetime('2022-01') }}", {}), ("{{ str_to_datetime('2022-W02-3') }}", {}),
    ("{{ str_to_datetime('not a date') }}", {}), ("{{ str_to_datetime(config.start_date).timestamp() }}", {}), ("{{ str_to_datetime(config.start_date).date() }}", {}),
    ("{{ str_to_datetime(config.start_date).weekday() }}", {}), ("{{ str_to_datetime(config.start_date).year }}", {}),
    ("{{ str_to_datetime(config.start_date).isoformat('T', 'milliseconds') }}", {}), ("{{ str_to_datetime(config.start_date).isoformat(timespec='seconds') }}", {}),
    ("{{ str_to_datetime(config.start_date) < now_utc() }}", {}), ("{{ now_utc() - str_to_datetime(config.start_date) }}", {}),
    ("{{ (now_utc() - str_to_datetime(config.start_date)).days }}", {}), ("{{ timestamp('2022-01-14') }}", {}), ("{{ timestamp(1658505815.9) }}", {}),
    ("{{ timestamp('2022-01-14T00:00:00.5Z') }}", {}), ("{{ max(2, 3) }}", {}), ("{{ min(2, 3) }}", {}), ("{{ max([1, 5, 2]) }}", {}),
    ("{{ max('2023-01-01', config.start_date) }}", {}), ("{{ min(config.numbers) }}", {}), ("{{ max(1, 'a') }}", {}), ("{{ max(2.5, 2) }}", {}),
    ("{{ format_datetime(config.start_date, '%Y-%m-%d') }}", {}), ("{{ format_datetime(config.iso_offset, '%Y-%m-%d %H:%M:%S %z %Z') }}", {}),
    ("{{ format_datetime(config.timestamp_int, '%Y-%m-%dT%H:%M:%S') }}", {}), ("{{ format_datetime(config.start_date, '%s') }}", {}),
    ("{{ format_datetime(config.start_date, '%ms') }}", {}), ("{{ format_datetime('2022-01-14T10:00:00.123456', '%Y %_ms') }}", {}),
    ("{{ format_datetime('2022-01-14T10:00:00.25Z', '%s_as_float') }}", {}), ("{{ format_datetime('2022-01-14', '%epoch_microseconds') }}", {}),
    ("{{ format_datetime('14/01/2022', '%Y-%m-%d', '%d/%m/%Y') }}", {}), ("{{ format_datetime(now_utc(), '%Y-%m-%d') }}", {}),
    ("{{ format_datetime(1658505815000, '%Y-%m-%d', '%ms') }}", {}), ("{{ format_datetime(1658505815.5, '%Y') }}", {}),
    ("{{ format_datetime(today_utc(), '%Y') }}", {}), ("{{ format_datetime('Jan 05 2023 3:04PM', '%Y-%m-%dT%H:%M', '%b %d %Y %I:%M%p') }}", {}),
    ("{{ format_datetime('2023-001', '%Y-%m-%d', '%Y-%j') }}", {}), ("{{ format_datetime('2022-01-14T10:00:00+0530', '%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S%z') }}", {}),
    ("{{ str_to_datetime('2023-01-01').strftime('%a %A %b %B %d %e %j %U %W %w %y %I %p %H:%M:%S.%f %z %Z %%') }}", {}),
    ("{{ str_to_datetime('2023-07-09T15:04:05').strftime('%-d/%-m %G-W%V-%u %C %D %T %R %F') }}", {}),
    ("{{ str_to_datetime('2023-01-01').strftime('%s') }}", {}), ("{{ sanitize_url('https://example.com/a b?x=1&y=ä') }}", {}),
    ("{{ camel_case_to_snake_case('CamelCaseString') }}", {}), ("{{ generate_uuid() | length }}", {}), ("{{ dict(a=1, b='x') }}", {}),
    ("{{ namespace(a=1).a }}", {}),
    # statements
    ("{% if config.enabled %}on{% else %}off{% endif %}", {}), ("{% if config.disabled %}a{% elif config.count > 2 %}b{% else %}c{% endif %}", {}),
    ("{% for i in config.items %}{{ loop.index }}:{{ i }}{% if not loop.last %},{% endif %}{% endfor %}", {}),
    ("{% for i in config.numbers if i > 1 %}{{ i }}{{ loop.length }}{% endfor %}", {}), ("{% for i in [] %}x{% else %}empty{% endfor %}", {}),
    ("{% for k, v in config.credentials.items() %}{{ k }}={{ v }};{% endfor %}", {}), ("{% for c in 'ab' %}{{ loop.index0 }}{{ c }}{{ loop.revindex }}{% endfor %}", {}),
    ("{% set x = 5 %}{{ x * 2 }}", {}), ("{% set a, b = 1, 2 %}{{ a + b }}", {}), ("{% set ns = namespace(found=false) %}{% for i in config.items %}{% if i == 'b' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", {}),
    ("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", {}), ("{% set block %}in {{ 1 + 1 }}{% endset %}[{{ block }}]", {}),
    ("  {%- if true -%}  x  {%- endif -%}  ", {}), ("a {#- comment -#} b", {}), ("{# only a comment #}", {}), ("{% raw %}{{ not rendered }}{% endraw %}", {}),
    ("line1\n{{ 'line2' }}\n", {}), ("{{ '{' }}{{ 'x' }}", {}), ("{{ config.items }}\n", {}), ("{% for x in config.missing %}a{% endfor %}", {}),
    ("{% for x in config.nothing %}a{% endfor %}", {}),
    # literal_eval edges (rendered text, then literal_eval)
    ("01", {}), ("{{ '01' }}", {}), ("{{ ' 5 ' }}", {}), ("{{ '1_0' }}", {}), ("{{ '0x10' }}", {}), ("{{ '1j' }}", {}), ("{{ '1+2j' }}", {}),
    ("{{ '-5' }}", {}), ("{{ '- 5' }}", {}), ("{{ 'None' }}", {}), ("{{ 'True' }}", {}), ("{{ 'true' }}", {}), ("{{ '[1,' }}", {}),
    ("{{ '1 + 2' }}", {}), ("{{ 'nan' }}", {}), ("{{ '1e400' }}", {}), ("{{ '(1)' }}", {}), ("{{ '1, 2' }}", {}), ("{{ \"'quoted'\" }}", {}),
    ("{{ '\"\"\"tri\"\"\"' }}", {}), ("{{ 'set()' }}", {}), ("{{ '{1, 2}' }}", {}), ("{{ \"b'x'\" }}", {}), ("{{ \"f'x'\" }}", {}),
    ("{{ '5 # comment' }}", {}), ("5\n", {}), ("  \n 5", {}), ("[1,\n 2]", {}), ("{{ '007' }}", {}), ("{{ '-0.0' }}", {}), ("{{ '.5' }}", {}),
    ("{{ '1.' }}", {}), ("{{ '0o17' }}", {}), ("plain text", {}), ("{'a': 1}", {}), ("[\"x\", 1]", {}), ("{{ '' }}", {}), ("{{ '   ' }}", {}),
    # eval options
    ("{{ config.missing }}", {"default": "fallback"}), ("{{ config.missing }}", {"default": "{{ config.api_key }}"}), ("{{ config.missing.x }}", {"default": "5"}),
    ("{{ config.empty }}", {"default": "{{ 1 + 1 }}"}), ("{{ 5 }}", {"valid_types": ["str"]}), ("{{ 5 }}", {"valid_types": ["int"]}),
    ("{{ 'True' }}", {"valid_types": ["str"]}), ("{{ True }}", {"valid_types": ["int"]}), ("{{ 1.5 }}", {"valid_types": ["int", "float"]}),
    ("{{ [1] }}", {"valid_types": ["dict"]}), ("{{ {'a': 1} }}", {"valid_types": ["dict"]}), ("{{ 'abc' }}", {"valid_types": ["int"]}),
    # booleans (InterpolatedBoolean)
    ("{{ True }}", {"boolean": True}), ("{{ False }}", {"boolean": True}), ("{{ 'false' }}", {"boolean": True}), ("{{ 'False' }}", {"boolean": True}),
    ("{{ 0 }}", {"boolean": True}), ("{{ 0.0 }}", {"boolean": True}), ("{{ [] }}", {"boolean": True}), ("{{ {} }}", {"boolean": True}),
    ("{{ 'x' }}", {"boolean": True}), ("{{ config.missing }}", {"boolean": True}), ("{{ config.missing.x }}", {"boolean": True}),
    ("{{ not response.has_more }}", {"boolean": True}), ("{{ response.meta.page >= response.meta.total_pages }}", {"boolean": True}),
    ("{{ 'no' }}", {"boolean": True}), ("{{ None }}", {"boolean": True}), ("{{ 'None' }}", {"boolean": True}), ("{{ '0' }}", {"boolean": True}),
    ("{{ 1 }}", {"boolean": True}), ("{{ record.status == 'active' }}", {"boolean": True}), ("{{ () }}", {"boolean": True}),
    # sandbox
    ("{{ ''.__class__ }}", {}), ("{{ ''.__class__.__mro__ }}", {}), ("{{ config.__class__ }}", {}), ("{{ config._private }}", {}),
    ("{{ config.constructor }}", {}), ("{{ config['constructor'] }}", {}), ("{{ [].constructor }}", {}), ("{{ config.api_key.constructor }}", {}),
]


def corpus_templates():
    found = {}
    for path in sorted(glob.glob(os.path.join(CORPUS, "*", "manifest.yaml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        stack = [doc]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                if "{{" in v or "{%" in v:
                    found.setdefault(v, None)
            elif isinstance(v, dict):
                for k, x in v.items():
                    if isinstance(k, str) and ("{{" in k or "{%" in k):
                        found.setdefault(k, None)
                    stack.append(x)
            elif isinstance(v, list):
                stack.extend(v)
    return sorted(found)


def to_json(value):
    if isinstance(value, (list, tuple, set)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return {"float": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"repr": repr(value)}


def outcome(fn):
    try:
        return {"value": to_json(fn())}
    except Exception as e:  # noqa: BLE001 - the exception's type is the golden output
        return {"error": type(e).__name__}


def render(template, context):
    def run():
        try:
            return _ENVIRONMENT.from_string(template).render(context)
        except TypeError:
            raise
    return outcome(run)


def run_case(template, options, context):
    interp = JinjaInterpolation()
    kwargs = {k: v for k, v in context.items() if k != "config"}
    case = {"template": template, "options": {k: v for k, v in options.items() if k != "context"}}
    case["render"] = render(template, {**context, "stream_interval": context.get("stream_slice"), "stream_partition": context.get("stream_slice")})
    if options.get("render_only"):
        return case
    if options.get("boolean"):
        case["boolean"] = outcome(lambda: InterpolatedBoolean(condition=template, parameters={}).eval(context["config"], **{k: v for k, v in kwargs.items() if k != "parameters"}))
    else:
        types_map = {"str": str, "int": int, "float": float, "bool": bool, "dict": dict, "list": list}
        valid = tuple(types_map[t] for t in options["valid_types"]) if "valid_types" in options else None
        case["eval"] = outcome(lambda: interp.eval(template, context["config"], options.get("default"), valid, **kwargs))
    return case


def main():
    context = BASE_CONTEXT
    cases = [run_case(t, o, context) for t, o in CASES]
    corpus = corpus_templates()
    compiles = {}
    for t in corpus:
        try:
            _ENVIRONMENT.from_string(t)
            compiles[t] = True
        except Exception as e:  # noqa: BLE001
            compiles[t] = type(e).__name__
    # a fixed sample of real templates, evaluated with the synthetic context
    rng = random.Random(4)
    compiling = [t for t in corpus if compiles[t] is True and "stream_state" not in t and "generate_uuid" not in t]
    sample = rng.sample(compiling, 150)
    corpus_cases = [run_case(t, {}, context) for t in sample]
    out = {
        "frozenNow": FROZEN.isoformat(),
        "context": to_json(context),
        "cases": cases,
        "corpusCases": corpus_cases,
        "corpusCompileFailures": {t: v for t, v in compiles.items() if v is not True},
        "corpusTemplateCount": len(corpus),
    }
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
    print(f"{len(cases)} cases, {len(corpus_cases)} corpus cases, {len(corpus)} corpus templates, "
          f"{len(out['corpusCompileFailures'])} do not compile in the reference", file=sys.stderr)


if __name__ == "__main__":
    main()
