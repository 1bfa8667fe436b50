"""Convolutional networks: first differences, zero causes, the NaN check, and their section."""
import glob, os
from collections import OrderedDict
from .data import BITS, cells, conv_paper_table, fmt, load, pvalue
from .stats import binomial_test, mann_whitney, median, wilson
from .sweeps import first_difference_ks
from .zeros import lambda_cells


def conv_tests(say, results):
    """Mann-Whitney tests of the time to first difference between cells of ours: batch norm against none
    (same model and format) and, at binary32 without batch norm, the corrected protocol against the paper's."""
    paths = {n: os.path.join(results, n) for n in ("conv-volume.csv", "conv-volume-corrected.csv")}
    if not os.path.exists(paths["conv-volume.csv"]):
        return
    keys = ["model", "batch_norm", "format", "batch_norm_arithmetic"]
    paper_cells = cells(load(paths["conv-volume.csv"]), keys)
    corrected = cells(load(paths["conv-volume-corrected.csv"]), keys) if os.path.exists(paths["conv-volume-corrected.csv"]) else {}
    pairs = []
    for (model, bn, format_, arithmetic), group in paper_cells.items():
        if bn == "true" and (model, "false", format_, "storage") in paper_cells:
            where = f" (in {arithmetic})" if format_ not in ("binary32", "binary64") else ""
            pairs.append((f"{model} {format_}: BN{where} against no BN (paper protocol)", group, paper_cells[(model, "false", format_, "storage")]))
        if bn == "true" and arithmetic == "accumulation" and (model, bn, format_, "storage") in paper_cells:
            pairs.append((f"{model} {format_} BN: normalised in binary32 against in storage (paper protocol)", group,
                          paper_cells[(model, bn, format_, "storage")]))
    for key, group in corrected.items():
        if key in paper_cells:
            pairs.append((f"{key[0]} {key[2]} BN={key[1]}: corrected protocol against paper protocol", group, paper_cells[key]))
    if not pairs:
        return
    say("Tests between our cells: two-sided Mann-Whitney U on k (normal approximation with tie and continuity "
        "corrections; a draw that never differed ranks above every k). A small p says the two cells' times to "
        "first difference differ in distribution; with k = 1 in every draw of both cells there is nothing to test.\n")
    say("| comparison | draws | median k | U | p |")
    say("|---|---|---|---|---|")
    for label, a, b in pairs:
        ka, kb = first_difference_ks(a), first_difference_ks(b)
        u, p = mann_whitney(ka, kb)
        say(f"| {label} | {len(ka)} vs {len(kb)} | {median(ka)} vs {median(kb)} | {u:g} | {pvalue(p)} |")
    say("")


def zero_causes(say, results):
    """`conv-training-resnet-causes.csv`: per epoch, the exact zeros at ReLU inputs by cause, beside the same run
    in `conv-training-resnet-10k.csv` (same seed and options, no classification) as a check that classifying
    changed nothing."""
    path = os.path.join(results, "conv-training-resnet-causes.csv")
    if not os.path.exists(path):
        return
    rows = [r for r in load(path) if not r.get("error") and r["epoch"]]
    same = {}
    twin = os.path.join(results, "conv-training-resnet-10k.csv")
    if os.path.exists(twin) and rows:
        same = {r["epoch"]: r for r in load(twin) if not r.get("error") and r["epoch"] and r["seed"] == rows[0]["seed"]
                and r["relu0"] == rows[0]["relu0"] and r["kink_rule"] == rows[0]["kink_rule"]}
    say("Why a kink rule can act at all without batch norm (`conv-training-resnet-causes.csv`: the 10k file's ReLU'(0) = 0 run "
        "again with every exact zero at a ReLU input classified). *Exact* zeros are zero in exact arithmetic too "
        "(every product zero: an all-zero patch, which reaches no weight gradient under either rule; or exact "
        "cancellation); *rounding* zeros have an exact sum that is not zero, so their patch is not all zero and the "
        "paper's rule (grad_in = ReLU'(0) whatever grad_out is) puts ReLU'(0) times that patch into a weight gradient. "
        "A ReLU after a residual addition is classified as one sum of both branches' terms; only ReLUs after batch norm "
        "(none here) are not.\n")
    say("| epoch | ReLU inputs | zeros | exact | rounding | not classified | train loss | same as the 10k run |")
    say("|---|---|---|---|---|---|---|---|")
    for r in rows:
        total, exact, rounding = int(r["zeros_total"]), int(r["zeros_exact"] or 0), int(r["zeros_rounding"] or 0)
        t = same.get(r["epoch"])
        check = "" if t is None else ("yes" if (t["zeros_total"], t["train_loss"]) == (r["zeros_total"], r["train_loss"]) else "**no**")
        say(f"| {r['epoch']} | {r['activation_inputs']} | {total} | {exact} | {rounding} | {total - exact - rounding} | "
            f"{float(r['train_loss']):.4f} | {check} |")
    say("")


def nan_check(say, results):
    """`conv-training-resnet-nancheck*.csv`: collapsed runs of the 10k file rerun with ReLU's forward passing NaN
    (0.9.0; before, ReLU turned a NaN into 0), epoch by epoch beside the originals. Equal rows mean no NaN ever
    reached a ReLU in that run, so its collapse is not a NaN the old forward hid."""
    # One file per rerun command (a sweep resuming a file drops its unfinished trials, and these runs were
    # stopped on purpose): conv-training-resnet-nancheck.csv, then -<ReLU'(0)>.csv.
    paths = sorted(glob.glob(os.path.join(results, "conv-training-resnet-nancheck*.csv")), key=lambda p: (not p.endswith("nancheck.csv"), p))
    twin = os.path.join(results, "conv-training-resnet-10k.csv")
    if not (paths and os.path.exists(twin)):
        return
    rows = [r for path in paths for r in load(path) if not r.get("error") and r["epoch"]]
    if not rows:
        return
    # A run of the paired 10k file is its cell (ReLU'(0), rule) and its run seed.
    run = lambda r: (r["relu0"], r["kink_rule"], r["run_seed"])
    reruns = OrderedDict()
    for r in rows:
        reruns.setdefault(run(r), []).append(r)
    original = {}
    for r in load(twin):
        if not r.get("error") and r["epoch"] and run(r) in reruns:
            original[(run(r), r["epoch"])] = r
    key = lambda r: (r["train_loss"], r["zeros_total"], r["train_accuracy"])
    verdicts = []
    for cell, group in reruns.items():
        matched = [original.get((cell, r["epoch"])) for r in group]
        equal = all(t is not None and key(t) == key(r) for r, t in zip(group, matched))
        verdicts.append((group, matched, equal))
    versions = sorted({r["version"] for r in rows})
    say(f"Was a collapse a hidden NaN? Before 0.9.0 ReLU's forward turned a NaN input into 0, so a NaN weight could "
        f"leave the loss finite and a broken run read as a collapse. `conv-training-resnet-nancheck*.csv` rerun "
        f"{len(reruns)} collapsed run{'s' if len(reruns) != 1 else ''} of the 10k file with version {', '.join(versions)}, "
        f"where a NaN passes ReLU and reaches the loss, for their first epochs. Equal rows (train loss, train accuracy "
        f"and the count of exact zeros, epoch by epoch) mean no NaN reached a ReLU input in those epochs, so the collapse "
        f"is not a NaN the old forward hid (the share of ReLU inputs exactly zero is in the table; the 10k file's last "
        f"epochs are in the section above). "
        f"{sum(v[2] for v in verdicts)} of {len(verdicts)} reruns equal their original in every epoch they ran.\n")
    say("| ReLU'(0) | rule | run | epoch | train loss | train accuracy | zeros | share of ReLU inputs | train loss, 10k file | zeros, 10k file | equal |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    for group, matched, _ in verdicts:
        for r, t in zip(group, matched):
            equal = "" if t is None else ("yes" if key(t) == key(r) else "**no**")
            say(f"| {r['relu0']} | {r['kink_rule']} | {r['run_seed']} | {r['epoch']} | {float(r['train_loss']):.4f} | {r['train_accuracy']} | "
                f"{r['zeros_total']} | {float(r['zero_ratio']):.3f} | "
                f"{'' if t is None else format(float(t['train_loss']), '.4f')} | {'' if t is None else t['zeros_total']} | {equal} |")
    say("")


def conv_section(say, args, paper, missing):
    """Convolutional networks: time to first difference (paper section 4.4), on Fashion-MNIST here."""
    # Convolutional networks: time to first difference (paper section 4.4), on Fashion-MNIST here.
    conv_files = [(n, t) for n, t in (("conv-volume.csv", "paper protocol"), ("conv-volume-binary64.csv", "paper protocol, binary64"),
                                      ("conv-volume-bfloat16.csv", "paper protocol, bfloat16"),
                                      ("conv-volume-corrected.csv", "corrected protocol"),
                                      ("conv-volume-pilot.csv", "pilot: 2 draws per cell, at most 10 batches"))
                  if os.path.exists(os.path.join(args.results, n))]
    if any(n == "conv-volume.csv" for n, _ in conv_files):  # the pilot's cells are not the study's
        conv_files = [(n, t) for n, t in conv_files if n != "conv-volume-pilot.csv"]
    for name in ("conv-volume.csv", "conv-volume-binary64.csv", "conv-volume-bfloat16.csv", "conv-volume-corrected.csv"):
        if name not in [n for n, _ in conv_files]:
            missing.append(name)
    if conv_files:
        published = conv_paper_table(args.paper)
        say("## Convolutional networks: time to first difference (section 4.4)\n")
        say("k is the 1-based index of the first batch whose first-convolution weight gradient differs between ReLU'(0) = 0 "
            "and 1 (batch 100, shuffled, augmented). **Ours run on Fashion-MNIST padded to 32x32, the paper's on CIFAR-10**: "
            "the same layouts and protocol on other images, so the columns are comparable in kind, not expected to be equal. "
            "Shares with 95% Wilson intervals over the draws that ran. The paper gives shares only (no run counts), so its "
            "P(k=1) and P(k<=10) are tested as if exact: p is the two-sided exact binomial test of our count against the "
            "paper's share (which ignores the paper's own sampling error, so it errs toward finding a difference). λ: exact "
            "zeros at ReLU inputs per batch (all ReLU layers), from the zeros each draw met over the batches it examined, with "
            "the 95% interval of the sweep tables; 1 − e^−λ the P(k=1) it predicts if every zero changed the gradient (in a "
            "conv net a zero's effect can be lost in the sums, so up to sampling this is an upper bound, not a forecast).\n")
        say("| file | model | BN | format | accumulate | BN arithmetic | draws | differed | λ per batch | 1 − e^−λ | P(k=1) | P(k<=10) | P(k<=50) | mean k | max k | paper P(k=1), P(k<=10), P(k<=50), mean k, max k (CIFAR-10) | p: P(k=1), P(k<=10) |")
        say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        deviations = []
        for name, label in conv_files:
            # A cap on the batches examined (`max_batches`) makes its own cell: draws that looked at the first 50
            # batches and at the first 150 are different measurements.
            for (model, bn, fmt_, acc, arithmetic, _cap), group in cells(
                    load(os.path.join(args.results, name)),
                    ["model", "batch_norm", "format", "accumulate", "batch_norm_arithmetic", "max_batches"]).items():
                n = len(group)
                ks = [int(r["first_difference"]) + 1 for r in group if r["first_difference"]]
                def share(limit):
                    c = sum(k <= limit for k in ks)
                    lo, hi = wilson(c, n)
                    return f"{fmt(c / n)} [{fmt(lo)}, {fmt(hi)}]"
                mean_k = f"{sum(ks) / len(ks):.1f}" if ks else ""
                theirs = published.get((model, BITS.get(fmt_), bn), "")
                tests = ""
                if theirs:
                    p1, p10 = (float(v) for v in theirs.split(", ")[:2])
                    tests = ", ".join(pvalue(binomial_test(sum(k <= limit for k in ks), n, p0)) for limit, p0 in ((1, p1), (10, p10)))
                caps = sorted({int(r["max_batches"]) for r in group if r.get("max_batches", "0") != "0"})
                cap = f" (first {', '.join(map(str, caps))} batches)" if caps else ""
                lam, _, predicted = lambda_cells(group, per="batch")
                say(f"| {name} ({label}) | {model} | {bn} | {fmt_} | {acc} | {arithmetic if bn == 'true' else ''} | {n}{cap} | {len(ks)} | {lam} | {predicted} | {share(1)} | {share(10)} | {share(50)} | "
                    f"{mean_k} | {max(ks) if ks else ''} | {theirs} | {tests} |")
                if theirs and name == "conv-volume.csv":
                    for limit, p0 in ((1, p1), (10, p10)):
                        c = sum(k <= limit for k in ks)
                        if binomial_test(c, n, p0) < 0.05:
                            deviations.append(f"{model} BN={bn} {fmt_}{' (BN in ' + arithmetic + ')' if bn == 'true' else ''}: "
                                              f"P(k{'=' if limit == 1 else '<='}{limit}) {c}/{n} against the paper's {p0:g}")
        say("")
        if deviations:
            say("Cells whose share differs from the paper's at p < 0.05 (binomial test above): " + "; ".join(deviations) + ". "
                "Every other cell's P(k=1) and P(k<=10) are within what the paper's share allows for our draws; "
                "CIFAR-10 and Fashion-MNIST are different images, so agreement says the effect has the same shape, not more.\n")
        volume = load(os.path.join(args.results, "conv-volume.csv")) if os.path.exists(os.path.join(args.results, "conv-volume.csv")) else []
        bn16 = [r for r in volume if r["batch_norm"] == "true" and r["format"] == "binary16"]
        rows16 = [r for r in bn16 if r.get("batch_norm_arithmetic", "storage") == "storage" and r["first_difference"] == "0"]
        wide16 = [r for r in bn16 if r.get("batch_norm_arithmetic", "storage") == "accumulation" and r["final"] == "1" and not r["error"]]
        if rows16 and wide16:
            say(f"**Batch norm at binary16.** Normalising in the storage format (PrecisionLab before 0.8, `--batch-norm-arithmetic "
                f"storage`), {len(rows16)} draws differed at the first batch, meeting {min(sum(int(z) for z in r['zeros_per_layer'].split(';')) for r in rows16)} "
                f"to {max(sum(int(z) for z in r['zeros_per_layer'].split(';')) for r in rows16)} exact zeros among ReLU inputs on it: "
                "the channel mean rounded to binary16 equals many of the channel's values, and x - mean is then exactly 0. "
                "Normalising in binary32 and rounding once, as GPU kernels treat half data (the default since 0.8): "
                + "; ".join(f"{model} P(k=1) {sum(r['first_difference'] == '0' for r in rs)}/{len(rs)}"
                            for model in ("vgg", "resnet") for rs in [[r for r in wide16 if r["model"] == model]] if rs)
                + f". The paper's P(k=1) with BN at 16 bits: VGG11 {published.get(('vgg', '16-bit', 'true'), '?').split(',')[0]}, "
                f"ResNet18 {published.get(('resnet', '16-bit', 'true'), '?').split(',')[0]}. **Post hoc:** the default changed to "
                f"normalising in binary32 after the storage-format runs above had met the paper's VGG11 share so badly "
                f"({sum(r['model'] == 'vgg' for r in rows16)}/{sum(r['model'] == 'vgg' for r in bn16 if r.get('batch_norm_arithmetic', 'storage') == 'storage')} "
                "at the first batch); the draws under the new default are a new sample, but the arithmetic was chosen "
                "knowing which way the first result went, so their agreement with the paper is weaker evidence than a "
                "prediction would be.\n")
        elif rows16:
            per = [sum(int(z) for z in r["zeros_per_layer"].split(";")) for r in rows16]
            say(f"With batch norm at binary16, {len(rows16)} draws differed at the first batch, meeting {min(per)} to {max(per)} exact "
                "zeros among ReLU inputs on it. A likely cause, not yet tested: PrecisionLab normalises in the storage format "
                "(the mean rounded to binary16, then x - mean, each operation rounded), so every value equal to its channel's "
                "rounded mean becomes an exact zero, and among the thousands of values per channel at binary16's 11 bits many are; "
                "cuDNN and PyTorch's own GPU kernels normalise half-precision data in binary32 (their accumulation type for half) "
                "and round once, where x - mean is almost never exactly 0. The paper's VGG11 with BN at 16 bits had P(k=1) = "
                f"{published.get(('vgg', '16-bit', 'true'), '?').split(',')[0]}. Batch norm computed in binary32 for narrow formats (as `--accumulate auto` does for sums) is "
                "the fix this points to.\n")
        conv_tests(say, args.results)
        for name, label in conv_files:
            series = "batch_norm,format,batch_norm_arithmetic" if name == "conv-volume.csv" else "batch_norm,format"
            for model, title in (("vgg", "VGG11"), ("resnet", "ResNet18")):
                figure = name.replace(".csv", f"-{model}.svg")
                if os.path.exists(os.path.join(args.results, figure)):
                    say(f"![{label}, {title}]({figure})  ")
                    say(f"`make report`: `precisionlab plot results/{name} --cumulative --where model={model} --series {series} "
                        f"--log-x --x-label \"batch k (first differing batch, from 1)\" --title \"{title} on DATA: share "
                        f"of runs whose first-layer gradients differed by batch k\" -o results/{figure}` (DATA: the file's `data`)\n")
