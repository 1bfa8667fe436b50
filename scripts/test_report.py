#!/usr/bin/env python3
"""Tests of the report (scripts/studyreport): its statistics against independent oracles: exact enumeration in rational arithmetic
(every table, every split, every outcome), closed forms of the chi-square tail, and the defining equation
of the Wilson interval solved by bisection; and that a cell whose draws are in more than one file is said
to be so wherever the report cites it. Run by `make test`:

    python3 -m unittest discover -s scripts -p 'test_*.py'
"""
import math
import os
import subprocess
import sys
import tempfile
import unittest
from fractions import Fraction
from itertools import combinations

from studyreport import data, stats, sweeps, zeros


def fisher_oracle(a, n1, b, n2):
    """Two-sided Fisher p: the hypergeometric probabilities of every table with the margins seen, in
    rationals, summed over the tables no more likely than the one seen."""
    k, n = a + b, n1 + n2
    prob = {x: Fraction(math.comb(n1, x) * math.comb(n2, k - x), math.comb(n, k))
            for x in range(max(0, k - n2), min(k, n1) + 1)}
    return float(sum(p for p in prob.values() if p <= prob[a]))


def binomial_oracle(k, n, p0):
    p0 = Fraction(p0)
    prob = [math.comb(n, x) * p0 ** x * (1 - p0) ** (n - x) for x in range(n + 1)]
    return float(sum(p for p in prob if p <= prob[k]))


def u_statistic(xs, ys):
    """U of xs by counting pairs (a tie counts one half): no ranks involved."""
    return sum((x > y) + 0.5 * (x == y) for x in xs for y in ys)


def mann_whitney_oracle(xs, ys):
    """Two-sided exact p: every way of splitting the pooled values into groups of the sizes seen."""
    pooled, n1 = xs + ys, len(xs)
    centre, seen = len(xs) * len(ys) / 2, abs(u_statistic(xs, ys) - len(xs) * len(ys) / 2)
    splits = list(combinations(range(len(pooled)), n1))
    hits = 0
    for chosen in splits:
        group = [pooled[i] for i in chosen]
        rest = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += abs(u_statistic(group, rest) - centre) >= seen - 1e-9
    return Fraction(hits, len(splits))


class FisherTests(unittest.TestCase):
    def test_tea_tasting(self):
        # Fisher's lady tasting tea: 3 of 4 cups right; one-sided p 17/70, two-sided 34/70.
        self.assertAlmostEqual(stats.fisher(3, 4, 1, 4), 34 / 70, places=12)

    def test_against_enumeration(self):
        for a, n1, b, n2 in [(0, 9, 1, 9), (1, 9, 1, 9), (5, 5, 0, 5), (3, 25, 12, 25), (0, 20, 20, 20),
                             (7, 13, 2, 30), (1, 1, 0, 3), (0, 0, 2, 5)]:
            self.assertAlmostEqual(stats.fisher(a, n1, b, n2), fisher_oracle(a, n1, b, n2), places=10,
                                   msg=f"{a}/{n1} against {b}/{n2}")


class BinomialTests(unittest.TestCase):
    def test_against_enumeration(self):
        for k, n, p0 in [(0, 10, 0.5), (1, 1, 0.5), (3, 12, 0.5), (9, 12, 0.5), (2, 20, 0.3), (15, 20, 0.3), (0, 0, 0.5)]:
            self.assertAlmostEqual(stats.binomial_test(k, n, p0), binomial_oracle(k, n, p0), places=10,
                                   msg=f"{k} of {n} against {p0}")

    def test_known_value(self):
        self.assertAlmostEqual(stats.binomial_test(0, 10, 0.5), 2 / 1024, places=15)


class MannWhitneyTests(unittest.TestCase):
    samples = [([0.1, 0.2, 0.3], [0.4, 0.5, 0.6]), ([0.8, 0.8, 0.7], [0.8, 0.6, 0.9]), ([1, 2, 3, 4], [2, 3]),
               ([0.77, 0.79, 0.83], [0.1, 0.81, 0.82]), ([5.0], [5.0, 5.0, 1.0])]

    def test_exact_against_enumeration(self):
        for xs, ys in self.samples:
            u, p = stats.mann_whitney_exact(list(xs), list(ys))
            self.assertEqual(u, u_statistic(xs, ys), msg=f"{xs} {ys}")
            self.assertAlmostEqual(p, float(mann_whitney_oracle(list(xs), list(ys))), places=12, msg=f"{xs} {ys}")

    def test_three_against_three_separated(self):
        self.assertAlmostEqual(stats.mann_whitney_exact([1, 2, 3], [4, 5, 6])[1], 0.1, places=12)

    def test_normal_approximation_near_exact(self):
        # 8 against 8 with ties: the normal approximation (continuity and tie corrections) within 0.02.
        xs = [1, 3, 3, 5, 7, 8, 9, 12]
        ys = [2, 3, 6, 10, 11, 13, 14, 15]
        u, p = stats.mann_whitney(xs, ys)
        self.assertEqual(u, u_statistic(xs, ys))
        self.assertLess(abs(p - float(mann_whitney_oracle(xs, ys))), 0.02)


class ChiSquareTests(unittest.TestCase):
    def test_closed_forms(self):
        # Both branches (series below a + 1, continued fraction above), against the closed forms of
        # 1, 2 and 4 degrees of freedom.
        for x in [0.01, 0.5, 1.0, 2.5, 3.84, 7.0, 15.0, 40.0]:
            self.assertAlmostEqual(stats.chi_square_sf(x, 1), math.erfc(math.sqrt(x / 2)), places=10, msg=f"dof 1, x {x}")
            self.assertAlmostEqual(stats.chi_square_sf(x, 2), math.exp(-x / 2), places=10, msg=f"dof 2, x {x}")
            self.assertAlmostEqual(stats.chi_square_sf(x, 4), math.exp(-x / 2) * (1 + x / 2), places=10, msg=f"dof 4, x {x}")

    def test_homogeneity_of_equal_cells(self):
        statistic, dof, p = stats.homogeneity([(10, 100), (10, 100), (10, 100)])
        self.assertEqual((statistic, dof, p), (0.0, 2, 1.0))


class RateTests(unittest.TestCase):
    def test_poisson_interval_against_garwood_table(self):
        # Exact 95% limits for a Poisson mean as the standard tables of Garwood's interval give them, to 4 digits.
        table = {0: (0.0, 3.6889), 1: (0.0253, 5.5716), 2: (0.2422, 7.2247), 5: (1.6235, 11.6683), 10: (4.7954, 18.3904)}
        for k, (low, high) in table.items():
            got = stats.poisson_interval(k)
            self.assertAlmostEqual(got[0], low, places=3, msg=f"k {k}")
            self.assertAlmostEqual(got[1], high, places=3, msg=f"k {k}")

    def test_poisson_tails_by_direct_summation(self):
        # The bounds leave 2.5% in each tail, summed term by term in rational arithmetic at rounded bounds.
        for k in [1, 3, 8, 30]:
            low, high = stats.poisson_interval(k)
            def cdf(x, m):
                term, total = Fraction(1), Fraction(0)
                m = Fraction(m)
                for i in range(x + 1):
                    if i:
                        term *= m / i
                    total += term
                return float(total) * math.exp(-float(m))
            self.assertAlmostEqual(1 - cdf(k - 1, low), 0.025, places=6, msg=f"lower, k {k}")
            self.assertAlmostEqual(cdf(k, high), 0.025, places=6, msg=f"upper, k {k}")

    def test_rate_with_equal_exposures_is_the_mean_interval(self):
        counts = [0, 2, 1, 0, 3, 1, 1, 0]
        r, low, high = stats.rate(counts, [4] * len(counts))
        mean = sum(counts) / len(counts)
        sd = math.sqrt(sum((c - mean) ** 2 for c in counts) / (len(counts) - 1))
        half = 1.959963984540054 * sd / math.sqrt(len(counts))
        self.assertAlmostEqual(r * 4, mean, places=12)
        self.assertAlmostEqual(low * 4, mean - half, places=12)
        self.assertAlmostEqual(high * 4, mean + half, places=12)

    def test_rate_pools_unequal_exposures(self):
        # Two units: 3 events in 10 batches, 1 in 2: rate 4/12, variance ((3 - 10/3)^2 + (1 - 2/3)^2) / 144 * 2.
        r, low, high = stats.rate([3, 1], [10, 2])
        self.assertAlmostEqual(r, 1 / 3, places=12)
        half = 1.959963984540054 * math.sqrt(((3 - 10 / 3) ** 2 + (1 - 2 / 3) ** 2) / 144 * 2)
        self.assertAlmostEqual(high - r, half, places=12)
        self.assertEqual(stats.rate([0, 0], [5, 5]), (0.0, 0.0, stats.poisson_interval(0)[1] / 10))


class LambdaTests(unittest.TestCase):
    @staticmethod
    def row(in_s, examined, per_layer, batch="256"):
        return {"in_s": in_s, "batches_examined": str(examined), "zeros_per_layer": per_layer, "batch_size": batch,
                "data": "mnist", "train_size": "0", "max_batches": "0"}

    def test_a_pass_is_what_a_draw_outside_s_examined(self):
        rows = [self.row("1", 10, "1;0"), self.row("0", 235, "0;0"), self.row("1", 40, "0;2")]
        z = zeros.zero_rates(rows)
        self.assertEqual(z["scale"], 235)
        # 3 zeros over 285 batches examined; layer 1: 1, layer 2: 2.
        self.assertAlmostEqual(z["total"][0], 3 / 285 * 235, places=12)
        self.assertAlmostEqual(z["layers"][0][0], 1 / 285 * 235, places=12)
        self.assertAlmostEqual(z["layers"][1][0], 2 / 285 * 235, places=12)
        self.assertAlmostEqual(z["predicted"], 1 - math.exp(-3 / 285 * 235), places=12)

    def test_without_a_whole_pass_the_dataset_gives_it(self):
        rows = [self.row("1", 1, "5;7", batch="1024"), self.row("1", 2, "0;3", batch="1024")]
        self.assertEqual(zeros.pass_batches(rows), 59)  # 60000 / 1024, the last batch shorter
        self.assertAlmostEqual(zeros.zero_rates(rows, per="batch")["total"][0], 15 / 3, places=12)

    def test_rows_without_counts_give_no_lambda(self):
        self.assertIsNone(zeros.zero_rates([self.row("1", 3, "")]))
        self.assertEqual(zeros.lambda_cells([self.row("1", 3, "")]), ("", "", ""))


class WilsonTests(unittest.TestCase):
    def test_bounds_solve_the_score_equation(self):
        # Each bound p solves (k - n p)^2 = z^2 n p (1 - p); solved here by bisection on each side of k/n.
        z = 1.959963984540054
        for k, n in [(1, 10), (5, 10), (9, 10), (3, 25), (500, 1000), (17, 400)]:
            def f(p):
                return (k - n * p) ** 2 - z * z * n * p * (1 - p)
            def root(lo, hi):
                for _ in range(200):
                    mid = (lo + hi) / 2
                    if (f(lo) > 0) == (f(mid) > 0):
                        lo = mid
                    else:
                        hi = mid
                return (lo + hi) / 2
            low, high = stats.wilson(k, n)
            self.assertAlmostEqual(low, root(0.0, k / n), places=10, msg=f"{k}/{n}")
            self.assertAlmostEqual(high, root(k / n, 1.0), places=10, msg=f"{k}/{n}")

    def test_swift_summaries_agree(self):
        # The Wilson interval is written twice on purpose: Swift's (Summary.swift, the ci_low/ci_high of every
        # summary table `precisionlab` writes) and this one (the report's); each checks the other. Every
        # committed table with the columns must hold this interval to the digits it prints.
        import glob
        tables = 0
        for path in glob.glob(os.path.join(SharedDrawsTests.RESULTS, "*.md")):
            with open(path) as f:
                lines = [l for l in f.read().splitlines() if l.startswith("|")]
            if not lines:
                continue
            header = [c.strip() for c in lines[0].strip("|").split("|")]
            if not {"runs", "in_s", "ci_low", "ci_high"} <= set(header):
                continue
            tables += 1
            for line in lines[2:]:
                row = dict(zip(header, [c.strip() for c in line.strip("|").split("|")]))
                k, n = int(row["in_s"]), int(row["runs"])
                low, high = stats.wilson(k, n)
                for name, value in (("ci_low", low), ("ci_high", high)):
                    printed = row[name]
                    digits = len(printed.split(".")[1]) if "." in printed else 0
                    self.assertAlmostEqual(float(printed), value, delta=10 ** -digits, msg=f"{path}: {k}/{n} {name}")
        self.assertGreater(tables, 5)

    def test_edges(self):
        self.assertEqual(stats.wilson(0, 10)[0], 0.0)
        self.assertEqual(stats.wilson(10, 10)[1], 1.0)
        self.assertAlmostEqual(stats.wilson(0, 10)[1], 0.2775, places=4)  # the usual table value


class PublishedShareTests(unittest.TestCase):
    """A cell is compared with the paper's share only when it computes what the paper's GPU computed: the
    headline cell in plain binary32 reads .463; with MX operands or under a precision policy it has no
    published counterpart."""
    paper = data.paper_tables(os.path.join(os.path.dirname(__file__), "..", "experiments", "reference", "paper-results.md"))
    headline = {"protocol": "paper", "max_batches": "0", "data": "mnist", "model": "mlp", "rounding": "nearest-even",
                "accumulate_gradients": "true", "kink_rule": "paper", "operands": "same", "format": "binary32",
                "accumulate": "same", "widths": "784,256,256,256,10", "batch_size": "256"}

    def test_plain_binary32_reads_the_paper(self):
        self.assertEqual(data.published_share(self.paper, dict(self.headline)), 0.463)

    def test_mx_and_policies_have_no_counterpart(self):
        for key, value in (("mx", "mxfp8-e4m3"), ("policy", "autocast-cuda-fp16"), ("policy", "fp8-training")):
            self.assertIsNone(data.published_share(self.paper, dict(self.headline, **{key: value})), f"{key} {value}")
        self.assertEqual(data.published_share(self.paper, dict(self.headline, mx="none", policy="none")), 0.463)




class ReportTextTests(unittest.TestCase):
    def test_vacuous_differences_name_the_cells_whose_gradient_was_zero(self):
        rows = lambda fmt, grads: [{"format": fmt, "in_s": "1", "grad_l2": g} for g in grads]
        groups = {("e4m3",): rows("e4m3", ["0", "0", "0.0"]), ("e5m2",): rows("e5m2", ["205.6", "0.01"])}
        lines = []
        sweeps.vacuous_differences(lines.append, ["format"], groups)
        text = "\n".join(lines)
        self.assertIn("e4m3: 3 of its 3 draws in S", text)
        self.assertNotIn("e5m2", text)
        lines = []
        sweeps.vacuous_differences(lines.append, ["format"], {("e5m2",): rows("e5m2", ["1.5"])})
        self.assertEqual(lines, [])

    def test_vacuous_differences_name_overflowed_first_differences(self):
        rows = [{"in_s": "1", "grad_l2": "", "first_difference": "0", "first_nonfinite": "0"},
                {"in_s": "1", "grad_l2": "2.5", "first_difference": "3", "first_nonfinite": "7"},
                {"in_s": "0", "grad_l2": "", "first_difference": "", "first_nonfinite": ""}]
        lines = []
        sweeps.vacuous_differences(lines.append, ["loss_scale"], {("65536",): rows})
        text = "\n".join(lines)
        self.assertIn("65536: 1 of its 2 draws in S first differ by a non-finite gradient", text)

    def test_vacuous_draws_are_those_in_s_by_a_zero_or_an_overflowed_gradient(self):
        self.assertTrue(sweeps.is_vacuous({"in_s": "1", "grad_l2": "0", "first_difference": "0", "first_nonfinite": ""}))
        self.assertTrue(sweeps.is_vacuous({"in_s": "1", "grad_l2": "", "first_difference": "4", "first_nonfinite": "4"}))
        self.assertFalse(sweeps.is_vacuous({"in_s": "1", "grad_l2": "0.3", "first_difference": "4", "first_nonfinite": "9"}))
        self.assertFalse(sweeps.is_vacuous({"in_s": "0", "grad_l2": "", "first_difference": "", "first_nonfinite": ""}))

    def test_discordant_pairs_match_by_run_seed(self):
        a = [{"run_seed": "0", "in_s": "1"}, {"run_seed": "1", "in_s": "0"}, {"run_seed": "2", "in_s": "1"}]
        b = [{"run_seed": "2", "in_s": "0"}, {"run_seed": "1", "in_s": "1"}, {"run_seed": "3", "in_s": "1"}]
        both, only_a, only_b = stats.discordant(a, b)
        self.assertEqual((sorted(both), only_a, only_b), (["1", "2"], 1, 1))


class CochranQTests(unittest.TestCase):
    def test_two_conditions_is_mcnemar(self):
        # With two conditions Cochran's Q is McNemar's (b - c)^2 / (b + c), no continuity correction.
        table = [[1, 0]] * 9 + [[0, 1]] * 3 + [[1, 1]] * 20 + [[0, 0]] * 30
        q, p = stats.cochran_q(table)
        self.assertAlmostEqual(q, (9 - 3) ** 2 / (9 + 3), places=12)
        self.assertAlmostEqual(p, math.erfc(math.sqrt(q / 2)), places=9)  # chi-square tail, 1 degree of freedom

    def test_three_conditions_against_the_variance_form(self):
        # Q = k(k-1) Σ_j (C_j - mean C)^2 / Σ_i R_i (k - R_i), written from the column and row totals.
        table = [[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 0], [1, 0, 0], [0, 0, 0], [1, 1, 0], [1, 0, 1]]
        k = 3
        columns = [Fraction(sum(r[j] for r in table)) for j in range(k)]
        mean = sum(columns) / k
        expected = k * (k - 1) * sum((c - mean) ** 2 for c in columns) / sum(sum(r) * (k - sum(r)) for r in table)
        self.assertAlmostEqual(stats.cochran_q(table)[0], float(expected), places=12)

    def test_identical_conditions(self):
        self.assertEqual(stats.cochran_q([[1, 1, 1], [0, 0, 0]]), (0.0, 1.0))


class PaperTextTests(unittest.TestCase):
    def test_cpu_peer_cells_are_read_from_the_reference_line(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write("The L=3 cell appears in all three sweeps.\nA PyTorch 2.15 CPU run of the same protocol (2 threads) "
                    "gives at 32 bits: L=3 87/200, L=1 14/100,\nL=6 60/100, n=64 15/100 — L=1 differs.\n\n## Next\nB=16 1/2\n")
        self.assertEqual(data.cpu_peer_cells(f.name),
                         [("L", "3", 87, 200), ("L", "1", 14, 100), ("L", "6", 60, 100), ("n", "64", 15, 100)])


class SharedDrawsTests(unittest.TestCase):
    """A cell whose draws are in more than one file must be said to be so wherever the report cites it."""

    HERE = os.path.dirname(os.path.abspath(__file__))
    RESULTS = os.path.join(HERE, "..", "results")

    def report(self, files):
        """The report on a results folder holding `files` ({name: rows of the committed headline-paper.csv})."""
        source = os.path.join(self.RESULTS, "headline-paper.csv")
        with open(source) as f:
            lines = f.read().splitlines()
        folder = tempfile.mkdtemp()
        for name, rows in files.items():
            with open(os.path.join(folder, name), "w") as f:
                f.write("\n".join([lines[0]] + [lines[1 + i] for i in rows]) + "\n")
        run = subprocess.run([sys.executable, os.path.join(self.HERE, "report.py"), "--results", folder],
                             capture_output=True, text=True, check=True)
        return run.stdout

    def test_a_shared_cell_is_marked_in_every_table_that_cites_it(self):
        text = self.report({"headline-paper.csv": [0, 1, 2], "volume-layers.csv": [0, 1, 2]})
        headline = [l for l in text.splitlines() if l.startswith("| paper | binary32 | same | sequential | 3/3")]
        depth = [l for l in text.splitlines() if l.startswith("| paper | binary32 | same | 3 | ") and "| 3/3 = " in l]
        self.assertEqual(len(headline), 3)  # compared with the three published values
        self.assertEqual(len(depth), 1)
        for line in headline:
            self.assertIn("3 of its 3 also in `volume-layers.csv`", line)
        self.assertIn("also in headline-paper.csv", depth[0])
        self.assertIn("- 3 draws in `headline-paper.csv`, `volume-layers.csv`", text)

    def test_disjoint_draws_carry_no_mark(self):
        text = self.report({"headline-paper.csv": [0, 1, 2], "volume-layers.csv": [3, 4, 5]})
        self.assertNotIn("shared draws", text)
        self.assertNotIn("Draws reported in more than one file", text)
        self.assertNotIn("also in headline-paper.csv", text)

    def test_every_shared_group_of_the_committed_results_is_listed(self):
        data._SHARED.clear()
        groups = {tuple(files) for files in data.shared_draws(self.RESULTS).values()}
        lines = []
        data.shared_section(lines.append, self.RESULTS)
        text = "\n".join(lines)
        for files in groups:
            self.assertIn(", ".join(f"`{f}`" for f in files), text)


if __name__ == "__main__":
    unittest.main()
