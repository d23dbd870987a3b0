"""radaudit.stats.intraclass_corr against pingouin 0.7 (installed in the same venv by
../shared/peers/setup.sh): the same frame, columns and values."""

import numpy as np
import pytest

pingouin = pytest.importorskip("pingouin")
pd = pytest.importorskip("pandas")

from radaudit import stats  # noqa: E402


def long_table(seed, n=30, k=4):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    rows = []
    for t in range(n):
        for r in range(k):
            rows.append({"case": t, "rater": f"r{r}", "value": truth[t] + 0.5 * rng.normal() + 0.2 * r})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_intraclass_corr_equals_pingouin(seed):
    data = long_table(seed)
    mine = stats.intraclass_corr(data, "case", "rater", "value")
    theirs = pingouin.intraclass_corr(data, "case", "rater", "value")
    assert list(mine.columns) == list(theirs.columns)
    assert list(mine["Type"]) == list(theirs["Type"])
    for column in ("ICC", "F", "pval"):
        np.testing.assert_allclose(mine[column].to_numpy(float), theirs[column].to_numpy(float), rtol=1e-9, atol=1e-12)
    for column in ("df1", "df2"):
        np.testing.assert_array_equal(mine[column].to_numpy(float), theirs[column].to_numpy(float))
    for a, b in zip(mine["CI95"], theirs["CI95"]):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_missing_ratings_raise_or_are_omitted_as_pingouin_does():
    data = long_table(4)
    data.loc[5, "value"] = np.nan
    with pytest.raises(ValueError, match="missing"):
        stats.intraclass_corr(data, "case", "rater", "value")
    mine = stats.intraclass_corr(data, "case", "rater", "value", nan_policy="omit")
    theirs = pingouin.intraclass_corr(data, "case", "rater", "value", nan_policy="omit")
    np.testing.assert_allclose(mine["ICC"].to_numpy(float), theirs["ICC"].to_numpy(float), rtol=1e-9)
    with pytest.raises(ValueError, match="column"):
        stats.intraclass_corr(data, "case", "reader", "value")


def test_roc_equals_procs_published_values(reference):
    """pROC's own test values (../shared/reference/stats/roc/pROC_published.csv) on aSAH."""
    import pandas as pd

    from radaudit.stats import roc

    root = reference / "stats" / "roc"
    data = pd.read_csv(root / "aSAH.csv")
    published = pd.read_csv(root / "pROC_published.csv")
    value = lambda q, m: float(published[(published.quantity == q) & (published.markers == m)].published_value.iloc[0])
    for marker in ("wfns", "ndka"):
        out = roc(data.y_poor, data[marker])
        assert abs(out["auc"] - value("auc", marker)) <= 1e-9
        assert abs(out["variance"] - value("var_delong", marker)) <= 1e-9
    ndka = roc(data.y_poor, data.ndka)
    assert abs(ndka["ci95"][0] - value("ci95_lower_delong", "ndka")) <= 1e-9
    assert abs(ndka["ci95"][1] - value("ci95_upper_delong", "ndka")) <= 1e-9
    paired = roc(data.y_poor, data.wfns, data.s100b)["paired"]
    assert abs(paired["z"] - value("paired_Z", "wfns,s100b")) <= 1e-9
    assert abs(paired["p"] - value("paired_p_two_sided", "wfns,s100b")) <= 1e-9
    assert abs(paired["p_greater"] - value("paired_p_greater", "wfns,s100b")) <= 1e-9
    assert abs(paired["ci95"][0] - value("paired_diff_ci95_lower", "wfns,s100b")) <= 1e-9
    assert abs(paired["ci95"][1] - value("paired_diff_ci95_upper", "wfns,s100b")) <= 1e-9
    assert abs(paired["covariance"] - value("cov_delong", "s100b,wfns")) <= 1e-9
    with pytest.raises(ValueError, match="labels are 0/1"):
        roc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="missing"):
        roc([0, 1, 1], [0.1, float("nan"), 0.3])
    with pytest.raises(ValueError):
        roc([1, 1, 1], [0.1, 0.2, 0.3])


@pytest.mark.parametrize("dataset", ["a_50x3", "b_200x5_bias", "c_30x2_nearperfect", "shrout_fleiss"])
def test_intraclass_corr_equals_the_golden_pingouin_sets(reference, dataset):
    """The golden ICC sets of ../shared/reference/stats/icc (made with pingouin 0.7): the six
    forms' ICC, F, df, p-value and 95% CI (pingouin rounds the CI to 2 decimals)."""
    root = reference / "stats" / "icc"
    wide = pd.read_csv(root / f"{dataset}_wide.csv")
    long = wide.melt(id_vars="subject", var_name="rater", value_name="score")
    gold = pd.read_csv(root / f"{dataset}_pingouin.csv")
    mine = stats.intraclass_corr(long, "subject", "rater", "score")
    assert len(mine) == len(gold) == 6
    for column in ("ICC", "F", "pval"):
        np.testing.assert_allclose(mine[column].to_numpy(float), gold[column].to_numpy(float), rtol=1e-9, atol=1e-300)
    for column in ("df1", "df2"):
        np.testing.assert_array_equal(mine[column].to_numpy(float), gold[column].to_numpy(float))
    for ci, low, high in zip(mine["CI95"], gold["ci95_lower"], gold["ci95_upper"]):
        np.testing.assert_allclose(ci, np.round([low, high], 2), atol=1e-12)
