"""Statistics of the report, each checked against an exact oracle in scripts/test_report.py: Wilson intervals,
Fisher, binomial (sign and McNemar), Mann-Whitney, chi-square homogeneity, Cochran's Q, exact Poisson intervals and
the rate of events over unequal exposures."""
import math


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (0.0 if k == 0 else max(0.0, c - h), 1.0 if k == n else min(1.0, c + h))


def fisher(a, n1, b, n2):
    """Two-sided Fisher exact p-value for a/n1 against b/n2 (sum of the tables no more likely than the one seen)."""
    k, n = a + b, n1 + n2
    lo, hi = max(0, k - n2), min(k, n1)
    def logp(x):
        return math.lgamma(n1 + 1) - math.lgamma(x + 1) - math.lgamma(n1 - x + 1) + math.lgamma(n2 + 1) - math.lgamma(k - x + 1) \
            - math.lgamma(n2 - k + x + 1) - (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1))
    seen = logp(a)
    return min(1.0, sum(math.exp(logp(x)) for x in range(lo, hi + 1) if logp(x) <= seen + 1e-7))


def mann_whitney(xs, ys):
    """Two-sided Mann-Whitney U test of xs against ys: (U of xs, p) by the normal approximation with the
    tie correction and a continuity correction (fit for the 20+ draws per cell compared here)."""
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    pooled = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    ranks, ties, i = [0.0] * len(pooled), 0.0, 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for t in range(i, j + 1):
            ranks[t] = (i + j) / 2 + 1
        size = j - i + 1
        ties += size ** 3 - size
        i = j + 1
    r1 = sum(r for r, (_, g) in zip(ranks, pooled) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return u, 1.0  # every value equal
    z = (abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return u, min(1.0, math.erfc(max(z, 0) / math.sqrt(2)))


def mann_whitney_exact(xs, ys):
    """Two-sided exact Mann-Whitney test of xs against ys for small samples: (U of xs, p), p the share of
    the C(n1 + n2, n1) equally likely splits of the pooled mid-ranks whose U is at least as far from
    n1·n2/2 as the one seen (ties keep their mid-ranks). With 3 runs against 3 the smallest p is 0.1."""
    from itertools import combinations
    n1, n2 = len(xs), len(ys)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    pooled = sorted(xs + ys)
    def rank(v):
        below = sum(1 for w in pooled if w < v)
        return below + (sum(1 for w in pooled if w == v) + 1) / 2
    ranks = [rank(v) for v in pooled]
    u = sum(rank(v) for v in xs) - n1 * (n1 + 1) / 2
    far = abs(u - n1 * n2 / 2)
    splits = list(combinations(range(n1 + n2), n1))
    hits = sum(1 for c in splits if abs(sum(ranks[i] for i in c) - n1 * (n1 + 1) / 2 - n1 * n2 / 2) >= far - 1e-9)
    return u, hits / len(splits)


def binomial_test(k, n, p0):
    """Two-sided exact binomial test of k successes in n against probability p0 (the outcomes no more
    likely than the one seen)."""
    if p0 <= 0 or p0 >= 1:
        return 1.0 if (k == 0 and p0 <= 0) or (k == n and p0 >= 1) else 0.0
    def logp(x):
        return math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1) + x * math.log(p0) + (n - x) * math.log(1 - p0)
    seen = logp(k)
    return min(1.0, sum(math.exp(logp(x)) for x in range(n + 1) if logp(x) <= seen + 1e-7))


def chi_square_sf(x, dof):
    """P(X >= x) for a chi-square variable with `dof` degrees of freedom: the regularised upper incomplete
    gamma Q(dof/2, x/2), by its series below a + 1 and its continued fraction above (Lentz's method)."""
    a, x = dof / 2, x / 2
    if x <= 0:
        return 1.0
    front = math.exp(-x + a * math.log(x) - math.lgamma(a))
    if x < a + 1:
        term = total = 1 / a
        n = a
        while term > total * 1e-16:
            n += 1
            term *= x / n
            total += term
        return max(0.0, 1 - front * total)
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return min(1.0, front * h)


def poisson_interval(k, level=0.95):
    """Garwood's exact interval for the mean of a Poisson count k: the means whose upper (lower) tail beyond k
    is (1 - level)/2, found by bisection on P(X >= k) and P(X <= k) written as chi-square tails
    (P(X >= k; m) = P(chi2 with 2k dof <= 2m), P(X <= k; m) = P(chi2 with 2k + 2 dof >= 2m))."""
    tail = (1 - level) / 2
    def solve(f, lo, hi):
        for _ in range(200):
            mid = (lo + hi) / 2
            if f(mid):
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2
    top = k + 20 + 10 * math.sqrt(k + 1)
    low = 0.0 if k == 0 else solve(lambda m: 1 - chi_square_sf(2 * m, 2 * k) >= tail, 0.0, top)
    high = solve(lambda m: chi_square_sf(2 * m, 2 * k + 2) <= tail, 0.0, top)
    return low, high


def rate(counts, exposures, z=1.959963984540054):
    """Events per unit of exposure over units (draws) that each saw `counts[i]` events in `exposures[i]`
    (batches examined): (rate, low, high). The rate is the pooled ratio, the maximum-likelihood rate of a
    Poisson process also when each unit stopped at a time its events chose; the interval is the ratio
    estimator's with the variance taken from the units (Σ (c_i - r e_i)^2 / (Σ e)^2 · n / (n - 1)), so
    units that differ in their own rate widen it. With no event, Garwood's exact upper bound over the pooled
    exposure. With equal exposures it is the mean's normal interval."""
    n, total, exposure = len(counts), sum(counts), sum(exposures)
    if n == 0 or exposure == 0:
        return float("nan"), float("nan"), float("nan")
    r = total / exposure
    if total == 0:
        return 0.0, 0.0, poisson_interval(0)[1] / exposure
    spread = sum((c - r * e) ** 2 for c, e in zip(counts, exposures)) / exposure ** 2 * n / (n - 1) if n > 1 else float("inf")
    half = z * math.sqrt(spread)
    return r, max(r - half, 0.0), r + half


def homogeneity(counts):
    """Chi-square test that several cells (k in S of n each) share one probability: (statistic, dof, p)."""
    k_all, n_all = sum(k for k, _ in counts), sum(n for _, n in counts)
    if k_all in (0, n_all) or len(counts) < 2:
        return 0.0, len(counts) - 1, 1.0
    share = k_all / n_all
    statistic = sum((k - n * share) ** 2 / (n * share) + ((n - k) - n * (1 - share)) ** 2 / (n * (1 - share)) for k, n in counts)
    return statistic, len(counts) - 1, chi_square_sf(statistic, len(counts) - 1)


def cochran_q(table):
    """Cochran's Q test for k paired binary outcomes (rows: subjects, columns: conditions); returns (Q, p)
    with k - 1 degrees of freedom."""
    k = len(table[0])
    columns = [sum(row[j] for row in table) for j in range(k)]
    rows = [sum(row) for row in table]
    total = sum(rows)
    denominator = k * total - sum(r * r for r in rows)
    if denominator == 0:
        return 0.0, 1.0
    q = (k - 1) * (k * sum(c * c for c in columns) - total * total) / denominator
    return q, chi_square_sf(q, k - 1)


def discordant(rows_a, rows_b):
    """Paired draws (matched by run seed): the run seeds in both, and how many are in S under a only, under b only."""
    in_a = {r["run_seed"]: r["in_s"] == "1" for r in rows_a}
    in_b = {r["run_seed"]: r["in_s"] == "1" for r in rows_b}
    both = in_a.keys() & in_b.keys()
    return both, sum(in_a[s] and not in_b[s] for s in both), sum(in_b[s] and not in_a[s] for s in both)


def median(xs):
    xs = sorted(xs)
    return "" if not xs else xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
