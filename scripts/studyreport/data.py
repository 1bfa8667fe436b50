"""Loading: the results CSVs (with the defaults of columns added after a file was written), the paper's
published numbers, the PyTorch peer logs; cells, axes and the formatting of counts and p-values."""
import csv, glob, math, os, re
from collections import OrderedDict
from .stats import fisher, wilson


BITS = {"binary16": "16-bit", "binary32": "32-bit", "binary64": "64-bit"}


PAPER_DRAWS = 1000


# The axes each published sweep holds fixed (its other axis varies).
SWEEP_FIXED = {"L": {"n": "256", "B": "256"}, "n": {"L": "3", "B": "256"}, "B": {"L": "3", "n": "256"}}


def paper_tables(path):
    """The volume tables of the published-numbers page: {sweep: {bits: {x: ratio}}}."""
    tables, current = {}, None
    for line in open(path):
        m = re.match(r"\|\s*(layers L|width n|batch B)\b[^|]*\|(.*)\|\s*$", line)
        if m:
            current = {"layers L": "L", "width n": "n", "batch B": "B"}[m.group(1)]
            xs = [c.strip() for c in m.group(2).split("|")]
            tables[current] = {"x": xs}
            continue
        if current and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0].endswith("-bit"):
                values = {}
                for x, v in zip(tables[current]["x"], cells[1:]):
                    try:
                        values[x] = float(v)
                    except ValueError:
                        pass  # "0 (not computed ...)" and the like: not a published count
                tables[current][cells[0]] = values
            continue
        if not line.startswith("|"):
            current = None
    return tables


def conv_paper_table(path):
    """The CIFAR-10 time-to-first-difference table: {(model, bits, bn): "P(k=1), P(k<=10), P(k<=50), mean k, max k"}."""
    table, inside = {}, False
    for line in open(path):
        if line.startswith("## CIFAR-10 volume"):
            inside = True
            continue
        if inside and line.startswith("## ") and table:
            break  # the heading runs over two lines; the next heading ends the table
        if inside and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 8 and cells[1].isdigit():
                model = {"VGG11": "vgg", "ResNet18": "resnet"}.get(cells[0])
                bn = {"no": "false", "yes": "true"}.get(cells[2])
                table[(model, cells[1] + "-bit", bn)] = ", ".join(cells[3:])
    return table


def read_text(path):
    with open(path) as f:
        return f.read()


def load(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# Columns added after results were written, with the value those results had (docs/EXPERIMENTS.md).
LEGACY = {"operands": "same", "operand_rounding": "nearest-even", "batch_norm_arithmetic": "storage", "init": "precisionlab",
          "bias_order": "last", "mx": "none", "policy": "none", "loss_scale": "1"}


def cells(rows, keys, final_only=True):
    """Error-free rows (only each trial's final row unless final_only is False) grouped by the given
    columns, in file order of first appearance (a column a file predates takes its legacy value)."""
    groups = OrderedDict()
    for r in rows:
        if (final_only and r.get("final") != "1") or r.get("error"):
            continue
        groups.setdefault(tuple(r.get(k, LEGACY.get(k)) for k in keys), []).append(r)
    return groups


def axis(row):
    widths = row["widths"].split(",")
    return {"L": str(len(widths) - 2), "n": widths[1], "B": row["batch_size"]}


def published_share(paper, row):
    """The paper's share for the cell of `row` when the paper published one: the paper protocol, a format of its
    tables, accumulation as the paper's GPU did (no MX operands, no precision policy), ReLU after every layer and the
    whole pass; the depth table for
    n = 256, B = 256 (so the headline cell reads .463), else the width table at L = 3 or the batch table at
    n = 256. None otherwise."""
    if row.get("protocol") != "paper" or row.get("max_batches", "") not in ("", "0") or row.get("data") != "mnist":
        return None
    if row.get("model", "mlp") != "mlp" or row.get("rounding", "nearest-even") != "nearest-even":
        return None
    if row.get("accumulate_gradients", "true") != "true" or row.get("kink_rule", "paper") != "paper":
        return None
    if row.get("operands", "same") != "same" or (row["format"] == "binary16") == (row["accumulate"] == "same"):
        return None
    if row.get("mx", "none") != "none" or row.get("policy", "none") != "none":
        return None  # another arithmetic than the paper's GPU: MX operands, a mixed-precision policy
    bits = BITS.get(row["format"])
    x = axis(row)
    for sweep in ("L", "n", "B"):  # in this order, so that the headline cell reads the depth table's .463
        if all(x[a] == v for a, v in SWEEP_FIXED[sweep].items()):
            return paper.get(sweep, {}).get(bits, {}).get(x[sweep])
    return None


def peer_runs(path):
    """The PyTorch peer runs logged in `path` (results/torch-bifurcation.log): per output line its format,
    L, n, B, draws and count in S, with the command line above it."""
    runs, command = [], ""
    if not os.path.exists(path):
        return runs
    for line in open(path):
        if line.startswith("$ "):
            command = line[2:].strip()
            continue
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if line.startswith("torch ") and "in_S" in fields:
            runs.append({"format": {"16": "binary16", "32": "binary32", "64": "binary64"}[fields["precision"]],
                         "L": fields["layers"], "n": fields["width"], "B": fields["batch"], "k": int(fields["in_S"]),
                         "runs": int(fields["runs"]), "version": line.split()[1], "command": command})
    return runs


def cpu_peer_cells(paper_path):
    """The PyTorch CPU cells listed in paper-results.md ("... gives at 32 bits: L=3 87/200, L=1 14/100, ..."):
    (sweep, value, in S, draws) each."""
    text = read_text(paper_path)
    line = re.search(r"CPU run of the same protocol.*?gives at 32 bits:(.*?)(?:—|\n\n)", text, re.S)
    if not line:
        return []
    return [(axis_, value, int(k), int(n)) for axis_, value, k, n in re.findall(r"\b([LnB])=(\d+) (\d+)/(\d+)", line.group(1))]


def fmt(x, digits=3):
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def pvalue(p):
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def p_range(ps):
    """Sorted p-values as `lowest to highest` (one value alone; "none published" for none)."""
    if not ps:
        return "none published"
    return pvalue(ps[0]) if len(ps) == 1 else f"{pvalue(ps[0])} to {pvalue(ps[-1])}"


def row_for(k, n, published):
    lo, hi = wilson(k, n)
    ours = f"{k}/{n} = {fmt(k / n)} [{fmt(lo)}, {fmt(hi)}]"
    if published is None:
        return ours, "", "", ""
    pk = round(published * PAPER_DRAWS)
    p = fisher(k, n, pk, PAPER_DRAWS)
    return ours, f"{published:g} ({pk}/{PAPER_DRAWS})", pvalue(p), "yes" if p >= 0.05 else "**no**"


_SHARED = {}


def shared_draws(results):
    """{trial key: sorted names of the results files holding it} for every trial key (one draw: its options and
    seed) found in more than one CSV of `results`. A cell whose rows carry such keys is one sample reported in
    several files, not several samples."""
    if results not in _SHARED:
        where = {}
        for path in sorted(glob.glob(os.path.join(results, "*.csv"))):
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                if "trial" not in (reader.fieldnames or []):
                    continue
                for row in reader:
                    where.setdefault(row["trial"], set()).add(os.path.basename(path))
        _SHARED[results] = {t: sorted(names) for t, names in where.items() if len(names) > 1}
    return _SHARED[results]


def shared_note(rows, name, results):
    """'' when no draw of the cell `rows` (from file `name`) is in another file; else a note naming the files
    and how many of the cell's draws they share, for the table that cites the cell."""
    shared = shared_draws(results)
    others = {}
    for r in rows:
        for other in shared.get(r.get("trial"), []):
            if other != name:
                others[other] = others.get(other, 0) + 1
    if not others:
        return ""
    return " (shared draws: " + ", ".join(f"{c} of its {len(rows)} also in `{o}`" for o, c in sorted(others.items())) + ")"


def shared_section(say, results):
    """Every group of files that share draws, said once: which files, how many draws, which cells."""
    shared = shared_draws(results)
    if not shared:
        return
    groups = {}
    for files in shared.values():
        groups[tuple(files)] = groups.get(tuple(files), 0) + 1
    say("## Draws reported in more than one file\n")
    say("The same draw (its options and seed, the CSV's `trial` key) is in several files where a cell is shared by design. "
        "Such a cell is one sample wherever it appears; every table that cites it says so beside the count.\n")
    for files, count in sorted(groups.items(), key=lambda item: (-item[1], item[0])):
        say(f"- {count} draw{'' if count == 1 else 's'} in " + ", ".join(f"`{f}`" for f in files))
    say("")
