#!/usr/bin/env python3
"""Check exported Parquet files against SPEC 8 with an independent reader (pyarrow).

Usage: scripts/check_exports.py CONFERENCES.parquet ENGAGEMENTS.parquet

Checks, for each file: the column names in the exact order and their Arrow types (times are
timestamp[ms, tz=UTC], lists are list<string> / list<int64>), the manifest zcc-ledger embeds as
Parquet key-value metadata (`zcc_ledger.manifest`: table, row count, rule identity, head
`SIZE:HASH`), and the values' own invariants (1-based conference indexes, sorted participants,
`explicit`/`inferred` sources, durations that match their intervals, one name per participant
and per agent). When both files come from
the same generation without a time window, each engagement's `conference_count` must equal its
number of `conferences` rows.

Exit status: 0 when everything holds, 1 when something does not (each problem is printed), 2 on
usage errors or unreadable files. Needs `pip install pyarrow`.
"""

import datetime
import json
import re
import sys

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # pragma: no cover - environment problem, not a data problem
    sys.exit("check_exports.py needs pyarrow: pip install pyarrow")

MANIFEST_KEY = b"zcc_ledger.manifest"
HEAD_RE = re.compile(r"^\d+:[0-9a-f]{64}$")

# Column name -> expected type (see docs/EXPORTS.md); order matters.
TS = "timestamp_ms_utc"
CONFERENCES = [
    ("engagement_id", "string"),
    ("account_id", "string"),
    ("conference_index", "int64"),
    ("started_at", TS),
    ("ended_at", TS),
    ("duration_ms", "int64"),
    ("participants", "list<string>"),
    ("initiated_by", "string"),
    ("source", "string"),
    ("rule", "string"),
    ("evidence", "list<int64>"),
    ("conference_id", "string"),
    ("external_participants", "list<string>"),
    # The agents' names, after the columns SPEC 8 lists.
    ("participant_names", "list<string>"),
    ("initiated_by_name", "string"),
]
ENGAGEMENTS = [
    ("engagement_id", "string"),
    ("account_id", "string"),
    ("channel", "string"),
    ("direction", "string"),
    ("flow_id", "string"),
    ("flow_name", "string"),
    ("queue_ids", "list<string>"),
    ("queue_names", "list<string>"),
    ("started_at", TS),
    ("ended_at", TS),
    ("duration_ms", "int64"),
    ("customer_id", "string"),
    ("customer_number", "string"),
    ("customer_name", "string"),
    ("agents", "list<string>"),
    ("has_conference", "bool"),
    ("conference_count", "int64"),
    ("rule", "string"),
    ("evidence", "list<int64>"),
    ("agent_names", "list<string>"),
]


def type_matches(t: pa.DataType, want: str) -> bool:
    if want == "string":
        return pa.types.is_string(t)
    if want == "int64":
        return pa.types.is_int64(t)
    if want == "bool":
        return pa.types.is_boolean(t)
    if want == TS:
        return pa.types.is_timestamp(t) and t.unit == "ms" and t.tz == "UTC"
    if want == "list<string>":
        return pa.types.is_list(t) and pa.types.is_string(t.value_type)
    if want == "list<int64>":
        return pa.types.is_list(t) and pa.types.is_int64(t.value_type)
    raise ValueError(want)


def describe(want: str) -> str:
    return "timestamp[ms, tz=UTC]" if want == TS else want


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def schema(self, path: str, table: pa.Table, expected: list) -> bool:
        names = table.schema.names
        want_names = [n for n, _ in expected]
        ok = True
        if names != want_names:
            self.fail(path, f"columns are {names}, expected exactly {want_names} in this order")
            ok = False
        for field in table.schema:
            want = dict(expected).get(field.name)
            if want is not None and not type_matches(field.type, want):
                self.fail(path, f"column {field.name} is {field.type}, expected {describe(want)}")
                ok = False
        return ok

    def manifest(self, path: str, meta: pq.FileMetaData, table_name: str, rows: int):
        kv = meta.metadata or {}  # the file's key-value metadata
        raw = kv.get(MANIFEST_KEY)
        if raw is None:
            self.fail(path, f"no {MANIFEST_KEY.decode()} key-value metadata (the export manifest)")
            return None
        try:
            m = json.loads(raw)
        except ValueError as e:
            self.fail(path, f"manifest metadata is not JSON: {e}")
            return None
        if m.get("table") != table_name:
            self.fail(path, f"manifest says table {m.get('table')!r}, expected {table_name!r}")
        if m.get("format") != "parquet":
            self.fail(path, f"manifest says format {m.get('format')!r}, expected 'parquet'")
        if m.get("rows") != rows:
            self.fail(path, f"manifest counts {m.get('rows')} rows, the file holds {rows}")
        if not m.get("rule"):
            self.fail(path, "manifest names no rule identity")
        for key in ("head", "log_head"):
            if not HEAD_RE.match(str(m.get(key, ""))):
                self.fail(path, f"manifest {key} {m.get(key)!r} is not SIZE:HASH")
        return m

    def intervals(self, path: str, rows: list, row_name, require_start: bool) -> None:
        for i, r in enumerate(rows):
            s, e, d = r["started_at"], r["ended_at"], r["duration_ms"]
            where = f"{path} row {i + 1} ({row_name(r)})"
            if s is None and require_start:
                self.fail(where, "started_at is null")
            if s is not None and e is not None:
                # Exact integer milliseconds (float seconds * 1000 can land one below).
                span = (e - s) // datetime.timedelta(milliseconds=1)
                if e < s:
                    self.fail(where, f"ended_at {e} is before started_at {s}")
                if d != span:
                    self.fail(where, f"duration_ms {d} does not match the interval ({span} ms)")
            elif d is not None:
                self.fail(where, f"duration_ms {d} without both ends of the interval")


def read(path: str):
    try:
        pf = pq.ParquetFile(path)
        return pf.read(), pf.metadata
    except (OSError, pa.ArrowInvalid) as e:
        print(f"check_exports.py: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)


def main(argv: list) -> int:
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    conf_path, eng_path = argv[1], argv[2]
    c = Checker()

    conf, conf_meta = read(conf_path)
    eng, eng_meta = read(eng_path)
    conf_ok = c.schema(conf_path, conf, CONFERENCES)
    eng_ok = c.schema(eng_path, eng, ENGAGEMENTS)
    conf_m = c.manifest(conf_path, conf_meta, "conferences", conf.num_rows)
    eng_m = c.manifest(eng_path, eng_meta, "engagements", eng.num_rows)

    if conf_ok:
        rows = conf.to_pylist()
        c.intervals(conf_path, rows, lambda r: f"{r['engagement_id']} #{r['conference_index']}", True)
        by_engagement: dict = {}
        for i, r in enumerate(rows):
            where = f"{conf_path} row {i + 1} ({r['engagement_id']} #{r['conference_index']})"
            if r["source"] not in ("explicit", "inferred"):
                c.fail(where, f"source {r['source']!r} is neither 'explicit' nor 'inferred'")
            p = r["participants"] or []
            if p != sorted(p):
                c.fail(where, f"participants {p} are not sorted")
            if len(p) < 2:
                c.fail(where, f"a conference with {len(p)} participant(s)")
            names = r["participant_names"] or []
            if len(names) != len(p):
                c.fail(where, f"participant_names {names} are not one per participant {p}")
            if r["initiated_by"] is None and r["initiated_by_name"] is not None:
                c.fail(where, f"initiated_by_name {r['initiated_by_name']!r} without initiated_by")
            ev = r["evidence"] or []
            if not ev or ev != sorted(set(ev)) or ev[0] < 1:
                c.fail(where, f"evidence {ev} is not a sorted, non-empty list of log positions")
            by_engagement.setdefault(r["engagement_id"], []).append(r)
        for eid, confs in by_engagement.items():
            idx = [r["conference_index"] for r in confs]
            if sorted(idx) != list(range(1, len(idx) + 1)):
                c.fail(conf_path, f"{eid}: conference_index {idx} is not 1..{len(idx)}")
            starts = [r["started_at"] for r in sorted(confs, key=lambda r: r["conference_index"])]
            if starts != sorted(starts):
                c.fail(conf_path, f"{eid}: conference_index does not follow the start times")

        if eng_ok:
            erows = eng.to_pylist()
            c.intervals(eng_path, erows, lambda r: r["engagement_id"], False)
            comparable = (
                conf_m and eng_m
                and conf_m.get("generation") == eng_m.get("generation")
                and not any(m.get(k) for m in (conf_m, eng_m) for k in ("since", "until"))
            )
            for r in erows:
                n = len(by_engagement.get(r["engagement_id"], []))
                if len(r["agent_names"] or []) != len(r["agents"] or []):
                    c.fail(eng_path, f"{r['engagement_id']}: agent_names {r['agent_names']} "
                           f"are not one per agent {r['agents']}")
                if r["has_conference"] != (r["conference_count"] > 0):
                    c.fail(eng_path, f"{r['engagement_id']}: has_conference "
                           f"{r['has_conference']} but conference_count {r['conference_count']}")
                if comparable and r["conference_count"] != n:
                    c.fail(eng_path, f"{r['engagement_id']}: conference_count "
                           f"{r['conference_count']} but {n} row(s) in {conf_path}")
            if comparable:
                known = {r["engagement_id"] for r in erows}
                for eid in by_engagement:
                    if eid not in known:
                        c.fail(conf_path, f"{eid} has conferences but no row in {eng_path}")

    if c.problems:
        for p in c.problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"check_exports.py: {len(c.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {conf_path}: {conf.num_rows} conferences; {eng_path}: {eng.num_rows} engagements")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
