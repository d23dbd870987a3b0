"""MIRP's side of benches/ibsi2_vs_mirp.sh: one IBSI 2 phase 2 configuration on the IBSI CT
phantom, whole process (run once per configuration, as radaudit is). Prints the intensity
statistics MIRP computes for the response map, so a run can be checked against the reference.

Usage: python ibsi2_vs_mirp.py CONFIG IMAGE MASK   (CONFIG: 1.A ... 9.B)
"""

import sys

from mirp import extract_features

# Filter settings per configuration family (IBSI 2 manual, phase 2 table; the mirror
# boundary is scipy's "reflect", which repeats the edge voxel).
FILTERS = {
    "1": {},
    "2": {"filter_kernels": "mean", "mean_filter_kernel_size": 5},
    "3": {
        "filter_kernels": "laplacian_of_gaussian",
        "laplacian_of_gaussian_sigma": 1.5,
        "laplacian_of_gaussian_kernel_truncate": 4.0,
    },
    "4": {
        "filter_kernels": "laws",
        "laws_delta": 7,
        "laws_compute_energy": True,
        "laws_rotation_invariance": True,
        "laws_pooling_method": "max",
    },
    "5": {
        "filter_kernels": "gabor",
        "gabor_sigma": 5.0,
        "gabor_lambda": 2.0,
        "gabor_gamma": 1.5,
        "gabor_theta": 0.0,
        "gabor_theta_step": 22.5,
        "gabor_rotation_invariance": True,
        "gabor_pooling_method": "mean",
        "gabor_response": "modulus",
    },
    "6": {
        "filter_kernels": "separable_wavelet",
        "separable_wavelet_families": "db3",
        "separable_wavelet_decomposition_level": 1,
        "separable_wavelet_rotation_invariance": True,
        "separable_wavelet_pooling_method": "mean",
    },
    "7": {
        "filter_kernels": "separable_wavelet",
        "separable_wavelet_families": "db3",
        "separable_wavelet_decomposition_level": 2,
        "separable_wavelet_rotation_invariance": True,
        "separable_wavelet_pooling_method": "mean",
    },
    "8": {
        "filter_kernels": "nonseparable_wavelet",
        "nonseparable_wavelet_families": "simoncelli",
        "nonseparable_wavelet_decomposition_level": 1,
    },
    "9": {
        "filter_kernels": "nonseparable_wavelet",
        "nonseparable_wavelet_families": "simoncelli",
        "nonseparable_wavelet_decomposition_level": 2,
    },
}


def main():
    config, image, mask = sys.argv[1:4]
    family, letter = config.split(".")
    by_slice = letter == "A"
    kwargs = dict(FILTERS[family])
    if family == "4":
        kwargs["laws_kernel"] = "L5E5" if by_slice else "L5E5E5"
    if family in ("6", "7"):
        bands = {"6": ("LH", "LLH"), "7": ("HH", "HHH")}[family]
        kwargs["separable_wavelet_set"] = bands[0] if by_slice else bands[1]
    if family == "5" and not by_slice:
        # 5.B: 2-D Gabor averaged over the three orthogonal planes.
        kwargs["by_slice"] = False
    settings = dict(
        by_slice=by_slice,
        boundary_condition="mirror",
        resegmentation_intensity_range=[-1000.0, 400.0],
        intensity_normalisation="none",
        base_feature_families="statistics" if family == "1" else "none",
        response_map_feature_families="statistics",
        base_discretisation_method="none",
    )
    if not by_slice:
        settings.update(new_spacing=1.0, spline_order=3, anti_aliasing=False)
    settings.update(kwargs)
    data = extract_features(image=image, mask=mask, **settings)
    frame = data[0]
    stats = [c for c in frame.columns if "stat_" in c]
    for c in stats:
        print(f"{c},{frame[c].values[0]}")


if __name__ == "__main__":
    main()
