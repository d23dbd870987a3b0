"""radaudit.harmonization against neuroCombat 0.2.12: the golden runs of
../shared/reference/stats/combat (made with neuroCombat, PROVENANCE.md) on the datasets where
neuroCombat is right (a and b, every configuration), neuroCombat itself run live in this venv
on dataset a, the defects radaudit mends (dataset d), neuroCombatFromTraining, and bad input."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from radaudit.harmonization import neuroCombat, neuroCombatFromTraining

CONFIGS = ["default", "default_nocovars", "meanonly", "noeb", "nonparametric",
           "nonparametric_meanonly", "refbatch"]


def load(reference, dataset):
    root = reference / "stats" / "combat" / dataset
    dat = pd.read_csv(root / "input_data.csv", index_col=0)
    covars = pd.read_csv(root / "covars.csv", index_col=0)
    return root, dat, covars


def run(dat, covars, kwargs):
    return neuroCombat(dat, covars, "batch", kwargs.get("categorical_cols"),
                       kwargs.get("continuous_cols"), eb=kwargs.get("eb", True),
                       parametric=kwargs.get("parametric", True),
                       mean_only=kwargs.get("mean_only", False), ref_batch=kwargs.get("ref_batch"))


def per_batch(path):
    return pd.read_csv(path, index_col=0).to_numpy()


@pytest.mark.parametrize("dataset", ["a_40x120_3batch", "b_10x30_smallbatch"])
def test_every_golden_configuration_is_reproduced(reference, dataset):
    root, dat, covars = load(reference, dataset)
    checked = 0
    for config in CONFIGS:
        folder = root / config
        if not folder.is_dir():
            continue
        kwargs = json.loads((folder / "run_info.json").read_text())["neuroCombat_kwargs"]
        out = run(dat, covars, kwargs)
        gold = pd.read_csv(folder / "harmonized.csv", index_col=0).to_numpy()
        per_feature = pd.read_csv(folder / "per_feature.csv", index_col=0)
        sd = np.sqrt(per_feature["var_pooled"].to_numpy())[:, None]
        # 1e-8 SD, the library's own golden tolerance (tests/suite/stats_combat.rs).
        assert np.all(np.abs(out["data"] - gold) <= 1e-8 * sd), config
        est = out["estimates"]
        assert np.allclose(est["var.pooled"][:, 0], per_feature["var_pooled"], rtol=1e-9, atol=0)
        assert np.allclose(est["stand.mean"][:, 0], per_feature["stand_mean"], rtol=1e-9, atol=1e-12)
        assert est["stand.mean"].shape == dat.shape
        mod_mean = pd.read_csv(folder / "mod_mean.csv", index_col=0).to_numpy()
        assert np.allclose(est["mod.mean"], mod_mean, rtol=1e-9, atol=1e-9 * np.abs(mod_mean).max())
        design = pd.read_csv(folder / "design.csv", index_col=0).to_numpy()
        assert np.array_equal(out["info"]["design"], design), config
        reference_level = out["info"]["ref_level"]
        for key, name in [("gamma.star", "gamma_star"), ("delta.star", "delta_star"),
                          ("gamma_hat", "gamma_hat"), ("delta_hat", "delta_hat")]:
            ours, theirs = est[key], per_batch(folder / f"{name}.csv")
            assert ours.shape == theirs.shape
            rows = [b for b in range(len(ours)) if not (b == reference_level and "hat" in name)]
            assert np.allclose(ours[rows], theirs[rows], rtol=1e-8, atol=1e-8), (config, key)
        priors = pd.read_csv(folder / "per_batch_priors.csv", index_col=0)
        if kwargs.get("eb", True):
            rows = [b for b in range(len(priors)) if b != reference_level]
            for column in ("gamma_bar", "t2") + (() if kwargs.get("mean_only") else ("a_prior", "b_prior")):
                assert np.allclose(est[column][rows], priors[column].to_numpy()[rows], rtol=1e-8), (config, column)
        assert list(out["info"]["batch_levels"]) == sorted(covars["batch"].unique())
        checked += 1
    assert checked >= 6


def test_the_dict_is_neurocombats_live(reference):
    """neuroCombat 0.2.12 run here on dataset a: the same keys and shapes, the same numbers."""
    import neuroCombat as peer

    _, dat, covars = load(reference, "a_40x120_3batch")
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = peer.neuroCombat(dat.to_numpy(), covars, "batch", ["sex"], ["age"])
    ours = neuroCombat(dat.to_numpy(), covars, "batch", ["sex"], ["age"])
    assert set(theirs) == set(ours)
    assert set(theirs["estimates"]) <= set(ours["estimates"])
    assert set(theirs["info"]) <= set(ours["info"])
    assert np.allclose(ours["data"], theirs["data"], rtol=1e-9, atol=0)
    for key in ("var.pooled", "stand.mean", "mod.mean", "gamma.star", "delta.star", "gamma_hat",
                "gamma_bar", "t2", "a_prior", "b_prior"):
        a, b = np.asarray(ours["estimates"][key]), np.asarray(theirs["estimates"][key], dtype=float)
        assert a.shape == b.shape, key
        assert np.allclose(a, b, rtol=1e-8, atol=1e-10), key
    assert np.allclose(ours["estimates"]["delta_hat"], np.array(theirs["estimates"]["delta_hat"]), rtol=1e-9)
    assert np.array_equal(ours["info"]["design"], theirs["info"]["design"].astype(float))
    assert ours["info"]["n_batch"] == theirs["info"]["n_batch"]
    assert list(ours["info"]["sample_per_batch"]) == list(theirs["info"]["sample_per_batch"])
    assert ours["info"]["batch_info"] == [list(map(int, b)) for b in theirs["info"]["batch_info"]]


def test_a_constant_feature_keeps_its_value(reference):
    """Dataset d: f05 is 2.5 for everyone; neuroCombat returns 2.4809 / 2.3891 / 2.6383."""
    root, dat, covars = load(reference, "d_8x60_constall")
    out = run(dat, covars, {})
    f05 = list(dat.index).index("f05")
    assert np.all(out["data"][f05] == 2.5)
    gold = pd.read_csv(root / "default" / "harmonized.csv", index_col=0).to_numpy()
    assert np.unique(np.round(gold[f05], 4)).size == 3
    assert any("f05" in note for note in out["estimates"]["notes"])


def test_from_training_applies_the_model(reference):
    _, dat, covars = load(reference, "a_40x120_3batch")
    fit = neuroCombat(dat.to_numpy(), covars, "batch", ["sex"], ["age"])
    again = neuroCombatFromTraining(dat.to_numpy(), covars["batch"], fit["estimates"], covars=covars,
                                    categorical_cols=["sex"], continuous_cols=["age"])
    assert np.allclose(again["data"], fit["data"], rtol=1e-12, atol=1e-12)
    # A model with covariates needs the new subjects' own: neuroCombat would add the training
    # subjects' mean effect to everyone.
    with pytest.raises(ValueError, match="age|sex"):
        neuroCombatFromTraining(dat.to_numpy(), covars["batch"], fit["estimates"])
    unseen = covars["batch"].replace({"scannerA": "scannerZ"})
    with pytest.raises(ValueError, match="scannerZ"):
        neuroCombatFromTraining(dat.to_numpy(), unseen, fit["estimates"], covars=covars,
                                categorical_cols=["sex"], continuous_cols=["age"])


def test_from_training_equals_neurocombat_without_covariates(reference, monkeypatch):
    """Without covariates neuroCombatFromTraining is right: the same numbers. (It calls int()
    on a one-element array, which NumPy 2 refuses: the shim gives int() NumPy 1's meaning, as
    the golden runs restore np.int.)"""
    import builtins
    import sys

    import neuroCombat as peer

    module = sys.modules["neuroCombat.neuroCombat"]
    monkeypatch.setattr(module, "int", lambda v: builtins.int(np.asarray(v).item()), raising=False)

    _, dat, covars = load(reference, "a_40x120_3batch")
    first, rest = dat.iloc[:, :80].to_numpy(), dat.iloc[:, 80:].to_numpy()
    with contextlib.redirect_stdout(io.StringIO()):
        trained = peer.neuroCombat(first, covars.iloc[:80], "batch")
        theirs = peer.neuroCombatFromTraining(rest, covars["batch"].iloc[80:].to_numpy(), trained["estimates"])
    ours_fit = neuroCombat(first, covars.iloc[:80], "batch")
    ours = neuroCombatFromTraining(rest, covars["batch"].iloc[80:], ours_fit["estimates"])
    assert np.allclose(ours["data"], theirs["data"], rtol=1e-9, atol=1e-12)


def test_bad_input_raises_with_radauddits_message(reference):
    _, dat, covars = load(reference, "a_40x120_3batch")
    values = dat.to_numpy().copy()
    values[3, 7] = np.nan
    with pytest.raises(ValueError, match=r"feature 3, subject s008: the value NaN is not a finite number"):
        neuroCombat(values, covars, "batch")
    lonely = covars.copy()
    lonely.iloc[0, lonely.columns.get_loc("batch")] = "alone"
    with pytest.raises(ValueError, match="batch \"alone\" has only one subject"):
        neuroCombat(dat.to_numpy(), lonely, "batch")
    with pytest.raises(ValueError, match="scannerQ"):
        neuroCombat(dat.to_numpy(), covars, "batch", ref_batch="scannerQ")
    with pytest.raises(ValueError, match="'site'"):
        neuroCombat(dat.to_numpy(), covars, "site")
    with pytest.raises(ValueError, match="120 subjects"):
        neuroCombat(dat.to_numpy(), covars.iloc[:100], "batch")
    confounded = covars.assign(site_copy=covars["batch"])
    with pytest.raises(ValueError, match="site_copy"):
        neuroCombat(dat.to_numpy(), confounded, "batch", ["site_copy"])
    ages = covars.assign(age=covars["age"].astype(float))
    ages.iloc[5, ages.columns.get_loc("age")] = np.inf
    with pytest.raises(ValueError, match="continuous column 'age'"):
        neuroCombat(dat.to_numpy(), ages, "batch", continuous_cols=["age"])
