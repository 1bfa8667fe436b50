#!/usr/bin/env python3
"""The rows of volume-precision.csv and volume-precision-wide.csv as one CSV for the figure of the share in S
against significand bits p: `accumulate` = same is replaced by the storage format itself (binary32 summing in
binary32 belongs to the binary32-accumulation curve, binary64 to the binary64 one), so that each curve is one
accumulation format and no line joins two points with nothing measured between them. The binary16 cell of
headline-paper.csv (p = 11, binary32 accumulation, the same protocol and layout) is added as a series of its
own, "binary32, binary16's exponents": its 5 exponent bits, not its p, set it apart from the curve.

usage: precision-curve.py RESULTS_DIR OUT.csv   (exits 1 when volume-precision.csv is missing)"""
import csv
import os
import sys


def main():
    results, out = sys.argv[1], sys.argv[2]
    names = [n for n in ("volume-precision.csv", "volume-precision-wide.csv") if os.path.exists(os.path.join(results, n))]
    if "volume-precision.csv" not in names:
        sys.exit(1)
    rows, header = [], None
    for name in names:
        with open(os.path.join(results, name), newline="") as f:
            reader = csv.DictReader(f)
            header = header or reader.fieldnames
            for row in reader:
                if row["accumulate"] == "same":
                    row["accumulate"] = row["format"]
                rows.append(row)
    headline = os.path.join(results, "headline-paper.csv")
    if os.path.exists(headline):
        with open(headline, newline="") as f:
            for row in csv.DictReader(f):
                if row["format"] == "binary16" and row["accumulate"] == "binary32" and row["protocol"] == "paper":
                    row["accumulate"] = "binary32, binary16's exponents"
                    rows.append(row)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
