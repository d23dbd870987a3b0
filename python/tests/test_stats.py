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
