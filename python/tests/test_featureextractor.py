"""radaudit.featureextractor against PyRadiomics 3.1 (pyradiomics-bhklab 3.1.4, installed in
the same venv by ../shared/peers/setup.sh): the same feature keys in the same order and the
same values within 1e-6 (relative; 1e-9 absolute near zero), on PyRadiomics' test cases."""

import collections
import json
import math
import pathlib

import pytest

radiomics = pytest.importorskip("radiomics")
from radiomics import featureextractor as peer  # noqa: E402

import radaudit.featureextractor as ours  # noqa: E402

CASES = ["brain1", "brain2", "breast1", "lung1", "lung2"]


def paths(reference, case):
    data = reference / "pyradiomics" / "data"
    return str(data / f"{case}_image.nrrd"), str(data / f"{case}_label.nrrd")


def features_only(result):
    return [(k, v) for k, v in result.items() if not k.startswith("diagnostics_")]


def numbers_close(a, b):
    if isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(numbers_close(x, y) for x, y in zip(a, b))
    return abs(float(a) - float(b)) <= max(1e-6 * abs(float(b)), 1e-9)


def assert_same_diagnostics(mine, theirs):
    """The diagnostics PyRadiomics writes, key for key in its order, but for the entries radaudit
    leaves out (after re-segmentation or mask correction; image hashes of 32- and 64-bit
    files), with PyRadiomics' values for the configuration and the original and interpolated
    image and mask."""
    my_keys = [k for k in mine if k.startswith("diagnostics_")]
    expected = [k for k in theirs if k.startswith("diagnostics_") and "-resegmented_" not in k
                and "-corrected_" not in k and not (k.endswith("_Hash") and k not in mine)]
    assert my_keys == expected
    for key in my_keys:
        if "_Versions_" in key:
            continue
        a, b = mine[key], theirs[key]
        if isinstance(b, str) or "Configuration" in key:
            assert a == b, f"{key}: {a!r} vs {b!r}"
        else:
            assert numbers_close(a, b), f"{key}: {a!r} vs {b!r}"


def assert_same(mine, theirs, diagnostics=True):
    if diagnostics:
        assert_same_diagnostics(mine, theirs)
    theirs = features_only(theirs)
    mine = features_only(mine)
    assert [k for k, _ in mine] == [k for k, _ in theirs]
    for (key, a), (_, b) in zip(mine, theirs):
        b = float(b)
        if math.isnan(b):
            assert math.isnan(a), key
        else:
            assert abs(a - b) <= max(1e-6 * abs(b), 1e-9), f"{key}: {a} vs {b}"


@pytest.mark.parametrize("case", CASES)
def test_default_extractor_equals_pyradiomics(reference, case):
    image, mask = paths(reference, case)
    mine = ours.RadiomicsFeatureExtractor().execute(image, mask)
    assert_same(mine, peer.RadiomicsFeatureExtractor().execute(image, mask))
    # The images of these cases are 16-bit: their hash must be there (and equal, above).
    if case in ("breast1", "lung1", "lung2"):
        assert "diagnostics_Image-original_Hash" in mine


FILTERED = {
    "imageType": {"Original": {}, "LoG": {"sigma": [1.0, 3.0]}, "Wavelet": {}, "Square": {}},
    "featureClass": {"firstorder": [], "glcm": [], "glszm": []},
    "setting": {"binWidth": 25, "label": 1},
}


def test_filtered_image_types_from_a_dict_and_a_file(reference, tmp_path):
    image, mask = paths(reference, "brain1")
    expected = peer.RadiomicsFeatureExtractor(FILTERED).execute(image, mask)
    assert_same(ours.RadiomicsFeatureExtractor(FILTERED).execute(image, mask), expected)
    params = tmp_path / "params.json"
    params.write_text(json.dumps(FILTERED))
    assert_same(ours.RadiomicsFeatureExtractor(str(params)).execute(image, mask), expected)
    # A setting given as a keyword overrides the file's, as in PyRadiomics.
    assert_same(
        ours.RadiomicsFeatureExtractor(str(params), binWidth=10).execute(image, mask),
        peer.RadiomicsFeatureExtractor(str(params), binWidth=10).execute(image, mask),
    )


def test_settings_and_enabling_as_pyradiomics_does(reference):
    image, mask = paths(reference, "breast1")
    theirs = peer.RadiomicsFeatureExtractor(binWidth=10)
    mine = ours.RadiomicsFeatureExtractor(binWidth=10)
    for e in (theirs, mine):
        e.disableAllFeatures()
        e.enableFeatureClassByName("glrlm")
        e.enableFeaturesByName(firstorder=["Mean", "Entropy"])
        e.enableImageTypeByName("LoG", customArgs={"sigma": [2.0]})
    assert_same(mine.execute(image, mask), theirs.execute(image, mask))


def test_a_simpleitk_image_is_accepted(reference):
    sitk = pytest.importorskip("SimpleITK")
    image, mask = paths(reference, "lung1")
    from_files = ours.RadiomicsFeatureExtractor().execute(image, mask)
    from_images = ours.RadiomicsFeatureExtractor().execute(sitk.ReadImage(image), sitk.ReadImage(mask))
    assert list(from_files.items()) == list(from_images.items())


def test_resampled_diagnostics_equal_pyradiomics(reference):
    """tests/data/brain1_resampling.yaml resamples (B-spline) before the features: the
    `-interpolated` diagnostics and every feature equal PyRadiomics'."""
    params = str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "brain1_resampling.yaml")
    image, mask = paths(reference, "brain1")
    mine = ours.RadiomicsFeatureExtractor(params).execute(image, mask)
    assert "diagnostics_Image-interpolated_Size" in mine and "diagnostics_Mask-interpolated_Mean" in mine
    assert_same(mine, peer.RadiomicsFeatureExtractor(params).execute(image, mask))


def test_a_nibabel_image_is_accepted(reference, tmp_path):
    """nibabel images give the features of their NIfTI files (SimpleITK writes brain1 as NIfTI,
    nibabel loads it), which equal PyRadiomics' on those files."""
    nibabel = pytest.importorskip("nibabel")
    import SimpleITK as sitk

    image, mask = paths(reference, "brain1")
    files = []
    for source, name in ((image, "image.nii.gz"), (mask, "mask.nii.gz")):
        files.append(str(tmp_path / name))
        sitk.WriteImage(sitk.ReadImage(source), files[-1])
    from_objects = ours.RadiomicsFeatureExtractor().execute(nibabel.load(files[0]), nibabel.load(files[1]))
    assert_same(from_objects, peer.RadiomicsFeatureExtractor().execute(*files))
    with pytest.raises(ValueError, match="nibabel image"):
        ours.RadiomicsFeatureExtractor().execute(object(), files[1])


def test_bad_input_raises_with_radauddits_message(reference, tmp_path):
    image, mask = paths(reference, "brain1")
    other_image, other_mask = paths(reference, "lung1")
    extractor = ours.RadiomicsFeatureExtractor()
    with pytest.raises(FileNotFoundError, match="missing.nrrd"):
        extractor.execute(str(tmp_path / "missing.nrrd"), mask)
    with pytest.raises(ValueError, match="binWidth"):
        ours.RadiomicsFeatureExtractor(binWidth=-1).execute(image, mask)
    with pytest.raises(ValueError, match="binWidth"):
        ours.RadiomicsFeatureExtractor(binWidth=float("nan")).execute(image, mask)
    with pytest.raises(ValueError):
        extractor.execute(image, other_mask)
    with pytest.raises(ValueError, match="colour"):
        ours.RadiomicsFeatureExtractor({"setting": {"colour": 1}}).execute(image, mask)
    truncated = tmp_path / "truncated.nrrd"
    truncated.write_bytes((reference / "pyradiomics" / "data" / "brain1_image.nrrd").read_bytes()[:5000])
    with pytest.raises(ValueError, match="truncated.nrrd"):
        extractor.execute(str(truncated), mask)
    # The interpreter is still here, and the extractor still works.
    assert len(extractor.execute(image, mask)) > 100


def test_extract_batch_equals_pyradiomics_case_by_case(reference, tmp_path):
    pd = pytest.importorskip("pandas")
    import radaudit

    rows = [{"case": c, "image": paths(reference, c)[0], "mask": paths(reference, c)[1]} for c in CASES]
    table = pd.DataFrame(rows)
    calls = []
    frame = radaudit.extract_batch(table, n_jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert list(frame["case"]) == CASES
    # The progress callback saw every case end, once each, in the order they ended.
    assert sorted(calls) == [(k, len(CASES)) for k in range(1, len(CASES) + 1)]
    for case in CASES:
        expected = peer.RadiomicsFeatureExtractor().execute(*paths(reference, case))
        row = frame[frame["case"] == case].iloc[0]
        mine = collections.OrderedDict((k, float(row[k])) for k in frame.columns if k != "case")
        assert_same(mine, expected, diagnostics=False)
    # From a CSV file, with a setting; a failing case is named with radaudit's message.
    csv = tmp_path / "cases.csv"
    bad = rows + [{"case": "ghost", "image": str(tmp_path / "ghost.nrrd"), "mask": rows[0]["mask"]}]
    pd.DataFrame(bad).to_csv(csv, index=False)
    with pytest.raises(ValueError, match="ghost: .*ghost.nrrd"):
        radaudit.extract_batch(str(csv), binWidth=10, n_jobs=1)
    for absurd in (0, -5, 10**9, 1e-300, float("nan")):
        with pytest.raises(ValueError, match="n_jobs"):
            radaudit.extract_batch(table, n_jobs=absurd)
    from radaudit import _radaudit

    with pytest.raises(ValueError, match="threads"):
        _radaudit.extract_batch([], threads=10**9)


def test_a_label_by_structure_name(reference):
    """TotalSegmentator's example: vertebra T12 by name through the built-in table gives label
    32's features, which equal PyRadiomics' with label=32."""
    root = reference / "clinical" / "totalsegmentator"
    image, mask = str(root / "example_ct_sm.nii.gz"), str(root / "example_seg.nii.gz")
    by_name = ours.RadiomicsFeatureExtractor().execute(image, mask, label="vertebrae_T12",
                                                       label_table="totalsegmentator")
    assert_same(by_name, peer.RadiomicsFeatureExtractor(label=32).execute(image, mask, label=32),
                diagnostics=False)
    with pytest.raises(ValueError, match="vertebrae_T99"):
        ours.RadiomicsFeatureExtractor().execute(image, mask, label="vertebrae_T99",
                                                 label_table="totalsegmentator")
