"""λ, the exact zeros at ReLU inputs per pass (or per batch), estimated from a cell's draws: the study's primary
observable, with the share of draws in S it predicts."""
import math
from .data import fmt
from .stats import rate

# Training samples of the datasets the sweeps read (the whole pass when `train_size` is 0).
TRAIN_SIZES = {"mnist": 60000, "fashion-mnist": 60000}


def zeros(row):
    """A row's exact zeros at ReLU inputs per activation layer, over the batches it examined."""
    return [int(z) for z in row["zeros_per_layer"].split(";")] if row.get("zeros_per_layer") else []


def pass_batches(rows):
    """Batches in one pass of the cell: what a draw that never differed examined, else the dataset's training
    samples over the batch size (None when neither is known)."""
    whole = [int(r["batches_examined"]) for r in rows if r["in_s"] != "1" and r.get("batches_examined")]
    if whole:
        return max(whole)
    r = rows[0]
    size = int(r.get("train_size") or 0) or TRAIN_SIZES.get(r.get("data"))
    cap = int(r.get("max_batches") or 0)
    if size is None:
        return cap or None
    batches = math.ceil(size / int(r["batch_size"]))
    return min(batches, cap) if cap else batches


def zero_rates(rows, per="pass"):
    """λ of a cell: per activation layer and in all, each (rate, low, high), per pass (`per="pass"`) or per batch,
    from the zeros each draw met over the batches it examined (a draw stops at its first difference, so the
    exposure is the batches examined: `stats.rate`). Also the share of draws with a zero that λ predicts if zeros
    fall independently at one rate for every θ, 1 − exp(−λ), and the scale (batches per pass, or 1). None when
    the rows carry no zero counts."""
    per_draw = [zeros(r) for r in rows]
    if not per_draw or not all(per_draw) or len({len(z) for z in per_draw}) != 1:
        return None
    exposures = [int(r["batches_examined"]) for r in rows]
    scale = pass_batches(rows) if per == "pass" else 1
    if scale is None:
        return None
    layers = [tuple(x * scale for x in rate([z[i] for z in per_draw], exposures)) for i in range(len(per_draw[0]))]
    total = tuple(x * scale for x in rate([sum(z) for z in per_draw], exposures))
    return {"layers": layers, "total": total, "predicted": 1 - math.exp(-total[0]), "scale": scale}


def interval_text(estimate, digits=3):
    value, low, high = estimate
    return f"{fmt(value, digits)} [{fmt(low, digits)}, {fmt(high, digits)}]"


def lambda_cells(rows, per="pass"):
    """The λ columns of a table row: λ in all with its interval, λ per layer (values only, slash-separated), and
    the predicted share; three empty strings when the rows carry no zero counts."""
    z = zero_rates(rows, per)
    if z is None:
        return "", "", ""
    digits = 3 if z["total"][0] < 100 else 0
    return (interval_text(z["total"], digits), " / ".join(fmt(v, digits) for v, _, _ in z["layers"]), fmt(z["predicted"]))


LAMBDA_NOTE = ("λ: exact zeros at ReLU inputs per pass over the whole training set (in all, then per hidden layer), estimated "
               "from the zeros each draw met over the batches it examined (a draw stops at its first difference): the pooled "
               "rate times the batches in a pass, with a 95% interval whose variance comes from the draws, so θ that differ "
               "in their own rate widen it (Garwood's exact bound when no zero was met). \"1 − e^−λ\": the share in S that λ "
               "predicts if every zero changes the gradient and zeros fall independently at one rate for every θ. Where draws "
               "stop at their first difference, λ is learnt mostly from how long each draw waited for its first zero, so this "
               "share is close to the observed one by construction and checks only that zeros arrive at one steady rate along "
               "the pass and across θ; the independent check is the table with every batch examined (the headline cell under "
               "every arithmetic).")
