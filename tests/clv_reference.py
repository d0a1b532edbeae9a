"""Known answers for the CLV tests, each with where it comes from.

A CLV test that only checks a range (0 ≤ p_alive ≤ 1, MAE > 0) passes for almost any wrong model; these numbers
are what a right one must reproduce. Published figures are quoted as printed (their rounding sets the
tolerance); hand-worked ones show the working.
"""

from __future__ import annotations

import datetime as dt

# --- The CDNOW 1/10 sample -------------------------------------------------------------------------------------
# Source: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD
# Model", Marketing Science 24(2), 275-284, and the data/notes at brucehardie.com (CDNOW_sample.txt: 2,357
# customers who first bought in Q1 1997; columns: id, sample id, date YYYYMMDD, CDs, dollars).
# Calibration: the first 39 weeks (1997-01-01 .. 1997-09-30); holdout: the next 39 weeks (to 1998-06-30).
CDNOW_CALIBRATION_END = dt.date(1997, 9, 30)
CDNOW_HOLDOUT_END = dt.date(1998, 6, 30)
CDNOW_CUSTOMERS = 2357
# Counted from the file (and consistent with the published fits below: 2,357 − 946 Gamma-Gamma repeaters):
CDNOW_ZERO_REPEATERS = 1411  # customers with x = 0 in the calibration period
CDNOW_REPEAT_TRANSACTIONS = 2457  # sum of x over customers, calibration (purchase days, not orders)
CDNOW_HOLDOUT_TRANSACTIONS = 1882  # repeat purchase days in weeks 40-78
CDNOW_LAST_T_WEEKS = 272 / 7  # the earliest first purchase (1997-01-01) is observed 272 days to 1997-09-30

# FHL 2005, section 5: BG/NBD maximum-likelihood estimates and log-likelihood on the calibration period.
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BGNBD_CDNOW_LL = -9582.4
# FHL 2005, section 5: the Pareto/NBD estimates on the same data, printed to 2 decimals, and its log-likelihood
# (see also Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions").
PNBD_CDNOW = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
PNBD_CDNOW_LL = -9595.0
# Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (brucehardie.com), the model of Fader, Hardie
# & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", JMR 42(4): fitted on the 946
# customers with at least one repeat purchase in the calibration period, on their mean repeat-purchase-day spend.
GAMMAGAMMA_CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}
GAMMAGAMMA_CDNOW_REPEATERS = 946

# FHL 2005, section 5's worked example: a customer with x = 2, t_x = 30.43, T = 38.86 weeks is expected to make
# 1.226 purchases in the next 39 weeks under the BG/NBD parameters above.
BGNBD_EXAMPLE = {"x": 2.0, "t_x": 30.43, "T": 38.86, "t": 39.0, "expected": 1.226}

# --- A hand-made transaction list, summarised by hand ----------------------------------------------------------
# Calibration end 2024-02-29, holdout to 2024-03-31, unit days. A "purchase" is a purchase day: orders on the
# same day are one purchase whose value is their sum.
D = dt.date
HAND_TRANSACTIONS = [  # customer, date, amount
    ("a", D(2024, 1, 1), 10.0), ("a", D(2024, 1, 1), 5.0),  # same day: one purchase of 15
    ("a", D(2024, 1, 15), 20.0), ("a", D(2024, 2, 12), 30.0),
    ("a", D(2024, 3, 10), 7.0),  # after the calibration end: one holdout purchase
    ("b", D(2024, 2, 5), 50.0),  # one purchase only
    ("c", D(2024, 3, 20), 9.0),  # first purchase after the calibration end: not in the summary
    ("d", D(2024, 1, 10), 12.0),
    ("d", D(2024, 2, 29), 8.0), ("d", D(2024, 2, 29), 4.0),  # on the calibration end: still calibration
]
HAND_CALIBRATION_END = D(2024, 2, 29)
HAND_HOLDOUT_END = D(2024, 3, 31)
# a: purchase days 1 Jan, 15 Jan, 12 Feb → x = 2 repeats; t_x = 12 Feb − 1 Jan = 31 + 11 = 42 days;
#    T = 29 Feb − 1 Jan = 31 + 28 = 59 days; mean repeat value = (20 + 30) / 2 = 25 (the first day's 15 excluded);
#    holdout: 10 Mar → 1.
# b: one purchase day 5 Feb → x = 0, t_x = 0, T = 29 Feb − 5 Feb = 24 days, no repeat value, holdout 0.
# d: purchase days 10 Jan and 29 Feb (8 + 4 = 12) → x = 1; t_x = T = 29 Feb − 10 Jan = 21 + 29 = 50 days;
#    mean repeat value 12; holdout 0.
HAND_SUMMARY = {
    "customer_id": ["a", "b", "d"],
    "x": [2, 0, 1],
    "t_x": [42, 0, 50],
    "T": [59, 24, 50],
    "mean_value": [25.0, None, 12.0],
    "x_holdout": [1, 0, 0],
}
