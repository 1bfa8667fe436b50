#!/usr/bin/env python3
"""Compares two PrecisionLab results CSVs column by column, ignoring wall time, provenance, trial keys and
grid ids (hashes of the option list) and columns only one file has; rows are matched by their
configuration values and seed."""
import csv, sys
IGNORE = {"trial", "grid", "wall_seconds", "version", "commit"}
def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]
a_header, a_rows = load(sys.argv[1])
b_header, b_rows = load(sys.argv[2])
shared = [c for c in a_header if c in b_header and c not in IGNORE]
only = sorted(set(a_header) ^ set(b_header))
key_columns = [c for c in shared if c in ("experiment", "grid_size", "trial_index", "seed", "epoch", "batch", "iteration")]
def index(header, rows):
    out = {}
    for r in rows:
        d = dict(zip(header, r))
        out[tuple(d[c] for c in key_columns)] = d
    return out
A, B = index(a_header, a_rows), index(b_header, b_rows)
differences = 0
for k, ra in A.items():
    rb = B.get(k)
    if rb is None:
        print("missing in second:", k); differences += 1; continue
    for c in shared:
        if ra[c] != rb[c]:
            differences += 1
            if differences <= 10: print(f"{k} {c}: {ra[c]!r} != {rb[c]!r}")
for k in B:
    if k not in A: print("missing in first:", k); differences += 1
print(f"{sys.argv[1]}: {len(A)} rows, {len(shared)} shared columns compared, columns in one file only: {only}; differences: {differences}")
sys.exit(1 if differences else 0)
