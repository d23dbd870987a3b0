//! The fuzzed front ends: one test per target, each with its valid seeds and its budget.

use std::path::{Path, PathBuf};

use super::{Kind, Target, assert_clean, fuzz, project_file};
use crate::error::{Error, Result};
use crate::features::FeatureSet;
use crate::volume::io::{ReadOptions, read_mask, read_volume};

/// Cases per target whose run only parses (fast).
const PARSE_CASES: usize = 20_000;
/// Cases per target that also computes (features, perturbations, a phantom).
const COMPUTE_CASES: usize = 20_000;

/// Reads a file as an image, then as a mask (which an image with fractions may fail, with
/// exit code 2 like any refusal).
fn read_both(path: &Path) -> Result<()> {
    let options = ReadOptions::default();
    read_volume(path, &options)?;
    match read_mask(path, &options) {
        Err(e) if e.exit_code() != 2 => Err(e),
        _ => Ok(()),
    }
}

/// The reference DICOM slice, when the shared reference data is there.
fn reference_slice() -> Option<Vec<u8>> {
    reference_file("ibsi1/ct_phantom/dicom/image/DCM_IMG_00010.dcm")
}

/// A file of the shared reference data, when it is there.
fn reference_file(relative: &str) -> Option<Vec<u8>> {
    let root = std::env::var_os("RADAUDIT_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference"));
    let slice = root.join(relative);
    match std::fs::read(&slice) {
        Ok(bytes) => Some(bytes),
        Err(_) if std::env::var_os("RADAUDIT_REQUIRE_REFERENCE").is_some() => {
            panic!("{}: the reference data is required", slice.display())
        }
        Err(_) => None,
    }
}

#[test]
fn nifti_reader() {
    assert_clean(fuzz(Target {
        name: "nifti",
        kind: Kind::Binary(352),
        seeds: vec![project_file("tests/data/bigendian_qform_scaled.nii")],
        cases: PARSE_CASES,
        file: "case.nii",
        run: read_both,
    }));
}

/// NIfTI-2 inside gzip: the mutations go to the uncompressed bytes (a mutated gzip stream
/// only tests the checksum), which are compressed again before reading.
#[test]
fn nifti2_gz_reader() {
    use std::io::Read;
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&project_file("tests/data/oblique_nifti2.nii.gz")[..])
        .read_to_end(&mut plain)
        .unwrap();
    fn gz_then_read(path: &Path) -> Result<()> {
        use std::io::Write;
        let plain = std::fs::read(path).map_err(|e| Error::input(path, e.to_string()))?;
        let gz = path.with_extension("nii.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&plain).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        read_both(&gz)
    }
    assert_clean(fuzz(Target {
        name: "nifti2-gz",
        kind: Kind::Binary(540),
        seeds: vec![plain],
        cases: PARSE_CASES,
        file: "case.raw",
        run: gz_then_read,
    }));
}

#[test]
fn nrrd_reader() {
    assert_clean(fuzz(Target {
        name: "nrrd",
        kind: Kind::Text,
        seeds: vec![project_file("tests/data/bigendian_raw.nrrd")],
        cases: PARSE_CASES,
        file: "case.nrrd",
        run: read_both,
    }));
}

/// A detached header beside its (unchanged) gzip data file.
#[test]
fn nhdr_reader() {
    fn with_data(path: &Path) -> Result<()> {
        let data = path.with_file_name("ras_detached.raw.gz");
        if !data.exists() {
            std::fs::write(&data, project_file("tests/data/ras_detached.raw.gz")).unwrap();
        }
        read_both(path)
    }
    assert_clean(fuzz(Target {
        name: "nhdr",
        kind: Kind::Text,
        seeds: vec![project_file("tests/data/ras_detached.nhdr")],
        cases: PARSE_CASES,
        file: "case.nhdr",
        run: with_data,
    }));
}

/// One slice of the IBSI CT phantom (implicit VR little endian, 82 KB): the mutations go
/// mostly to its first 1,200 bytes, the meta group and the data set's headers.
#[test]
fn dicom_reader() {
    let Some(slice) = reference_slice() else {
        eprintln!("fuzz dicom: skipped, no reference data");
        return;
    };
    assert_clean(fuzz(Target {
        name: "dicom",
        kind: Kind::Binary(1200),
        seeds: vec![slice],
        cases: PARSE_CASES,
        file: "case.dcm",
        run: |p| read_volume(p, &ReadOptions::default()).map(|_| ()),
    }));
}

/// rt-utils' structure set (2.3 KB, one ROI of two contours), read and every ROI rasterised
/// on a 64 x 64 x 3 grid around its contours (GE phantom CT pixels, slices 5 mm apart).
#[test]
fn rtstruct_reader() {
    let Some(rt) = reference_file("clinical/seg_rtstruct/rtutils_rtstruct/rt.dcm") else {
        eprintln!("fuzz rtstruct: skipped, no reference data");
        return;
    };
    fn rasterise_all(path: &Path) -> Result<()> {
        use crate::volume::io::rtstruct;
        let set = rtstruct::read(path)?;
        let grid = crate::volume::Geometry::new(
            [64, 64, 3],
            [0.488281, 0.488281, 5.0],
            [-40.0, -40.0, 55.0],
            crate::volume::geometry::IDENTITY,
        )
        .map_err(Error::Internal)?;
        for roi in &set.rois {
            rtstruct::rasterise(roi, &grid).map_err(|e| Error::input(path, e))?;
        }
        Ok(())
    }
    assert_clean(fuzz(Target {
        name: "rtstruct",
        kind: Kind::Binary(2356),
        seeds: vec![rt],
        cases: PARSE_CASES,
        file: "rt.dcm",
        run: rasterise_all,
    }));
}

/// highdicom's BINARY and FRACTIONAL SEGs (4-5 KB, 3 frames of 16 x 16), read and every
/// segment placed on the 16 x 16 x 3 grid of their CT slices.
#[test]
fn seg_reader() {
    let seeds: Vec<Vec<u8>> = [
        "seg_image_ct_binary.dcm",
        "seg_image_ct_true_fractional.dcm",
    ]
    .iter()
    .filter_map(|f| reference_file(&format!("clinical/seg_rtstruct/highdicom_ct_seg/{f}")))
    .collect();
    if seeds.is_empty() {
        eprintln!("fuzz seg: skipped, no reference data");
        return;
    }
    fn place_all(path: &Path) -> Result<()> {
        use crate::volume::io::seg;
        let segmentation = seg::read(path, 0.5)?;
        let grid = crate::volume::Geometry::new(
            [16, 16, 3],
            [0.488281, 0.488281, 1.25],
            [-125.0, -128.1, 103.02],
            crate::volume::geometry::IDENTITY,
        )
        .map_err(Error::Internal)?;
        let image =
            crate::volume::Volume::from_vec(grid, vec![0.0; 768], crate::volume::PixelType::I16)
                .map_err(Error::Internal)?;
        for (n, _) in &segmentation.segments {
            segmentation.place(*n, &image);
        }
        Ok(())
    }
    assert_clean(fuzz(Target {
        name: "seg",
        kind: Kind::Binary(5044),
        seeds,
        cases: PARSE_CASES,
        file: "seg.dcm",
        run: place_all,
    }));
}

/// A PyRadiomics or IBSI settings file, read and then used to extract the features of the
/// IBSI digital phantom (5 x 4 x 4 voxels).
fn extract_digital(path: &Path) -> Result<()> {
    let set = FeatureSet::from_file(path, None)?;
    set.validate().map_err(|e| Error::input(path, e))?;
    let image = crate::volume::builtin::digital_phantom_image();
    let mask = crate::volume::builtin::digital_phantom_mask();
    set.compute(&image, &mask, 1)
        .map(|_| ())
        .map_err(|e| Error::input(path, e.to_string()))
}

#[test]
fn pyradiomics_parameter_files() {
    let seeds = [
        "tests/data/brain1_resampling.yaml",
        "tests/data/filter_extractions/bincount_gradient_voxels.yaml",
        "tests/data/filter_extractions/bspline_resampled_filters.yaml",
        "tests/data/filter_extractions/defaults_brain1.yaml",
    ];
    assert_clean(fuzz(Target {
        name: "pyradiomics-params",
        kind: Kind::Text,
        seeds: seeds.iter().map(|s| project_file(s)).collect(),
        cases: COMPUTE_CASES,
        file: "params.yaml",
        run: extract_digital,
    }));
}

#[test]
fn ibsi_settings_files() {
    let seeds = [
        "convention: ibsi\ndiscretisation: none\nfeatures: [cm_joint_max_3D_comb, ngtdm, stat_kurt]\ntexture: [3D]\n",
        "convention: ibsi\nround_intensities: true\ninterpolation: {spacing: [1, 1, 1], image: linear, roi_threshold: 0.5}\nresegment: {range: [1, 6]}\ndiscretisation: {bin_size: 2}\ntexture: [3D, 2.5D]\n",
        "convention: ibsi\ndiscretisation: {bin_number: 4}\nivh: {bin_size: 0.5}\ntexture: [2D]\n",
        "convention: ibsi\nround_intensities: true\nresegment: {range: [1, 6]}\nfilter: \"laws:kernel=E5L5S5,invariance=true,energy=2,boundary=mirror\"\n",
    ];
    assert_clean(fuzz(Target {
        name: "ibsi-settings",
        kind: Kind::Text,
        seeds: seeds.iter().map(|s| s.as_bytes().to_vec()).collect(),
        cases: COMPUTE_CASES,
        file: "settings.yaml",
        run: extract_digital,
    }));
}

/// A perturbation chain, parsed and applied to the IBSI digital phantom.
#[test]
fn perturbation_chains() {
    fn apply(path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
        let chain = crate::perturb::Chain::parse(&text)?;
        let image = crate::volume::builtin::digital_phantom_image();
        let mask = crate::volume::builtin::digital_phantom_mask();
        let mut case = crate::perturb::Case::new(image, &mask, 1)?;
        chain.apply(&mut case, 7, "fuzz")
    }
    let seeds = [
        "scanner:smooth",
        "scanner:sharp; kvp:80",
        "noise:sd=20,peak=0.3",
        "noise:sd=10,peak=0.3,mas=50,ref_mas=100",
        "blur:mtf50=4",
        "blur:z=2.0",
        "kvp:140",
        "spacing:0.8x0.8x2,interp=linear,mask=nearest",
        "slice:thickness=3",
        "volume:fraction=0.9",
        "supervoxel:count=8,rep=2",
        "erode:mm=1",
        "dilate:mm=1",
        "rotate:deg=17",
        "rotate:deg=30,about=grid",
        "translate:x=0.5,y=0.25,z=0.5",
    ];
    assert_clean(fuzz(Target {
        name: "perturbation-chains",
        kind: Kind::Text,
        seeds: seeds.iter().map(|s| s.as_bytes().to_vec()).collect(),
        cases: COMPUTE_CASES,
        file: "chain.txt",
        run: apply,
    }));
}

/// An IBSI 2 filter specification (`radaudit filter --apply`), parsed and applied to the IBSI
/// digital phantom.
#[test]
fn ibsi2_filter_specs() {
    fn apply(path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e.to_string()))?;
        let filter = crate::features::ibsi::filters::Filter::parse(&text).map_err(Error::Usage)?;
        let image = crate::volume::builtin::digital_phantom_image();
        let response = filter
            .apply(&image.voxels.mapv(f64::from), image.geometry.spacing)
            .map_err(Error::Usage)?;
        std::hint::black_box(response);
        Ok(())
    }
    let seeds = [
        "mean:support=15,boundary=zero,dims=3D",
        "mean:support=5,boundary=periodic,dims=2D",
        "log:sigma=3,cutoff=4,boundary=zero",
        "log:sigma=5,boundary=mirror,dims=2D",
        "laws:kernel=E5L5S5,invariance=true,pooling=max,energy=7,boundary=nearest",
        "laws:kernel=L5S5,dims=2D,invariance=true,pooling=average",
        // The phantom is 5 x 4 x 4 voxels: haar's level 2 kernel spans 3.
        "wavelet:name=haar,band=LHL,level=2,invariance=true,boundary=zero",
        "wavelet:name=db2,band=HHL,invariance=true,boundary=mirror",
        "wavelet:name=haar,band=HL,dims=2D,boundary=periodic",
        "simoncelli:level=1",
        "simoncelli:level=1,dims=2D",
        "riesz:base=simoncelli,level=1,order=0/2/0",
        "gabor:sigma=4,lambda=2,gamma=0.5,theta=1.0471975,boundary=zero",
        "gabor:sigma=6,lambda=3,gamma=2.5,delta_theta=0.785398,orthogonal=true,boundary=mirror",
        "riesz:sigma=3,cutoff=4,order=1/0/0,boundary=zero",
        "riesz:sigma=2,order=0/2/0,boundary=nearest",
    ];
    assert_clean(fuzz(Target {
        name: "ibsi2-filter-specs",
        kind: Kind::Text,
        seeds: seeds.iter().map(|s| s.as_bytes().to_vec()).collect(),
        cases: COMPUTE_CASES,
        file: "filter.txt",
        run: apply,
    }));
}

#[test]
fn audit_protocols() {
    let seeds = [
        "protocols/vertebra-ct.yaml",
        "protocols/vertebra-ct-ibsi.yaml",
        "protocols/vertebra-ct-filters.yaml",
    ];
    assert_clean(fuzz(Target {
        name: "audit-protocols",
        kind: Kind::Text,
        seeds: seeds.iter().map(|s| project_file(s)).collect(),
        cases: PARSE_CASES,
        file: "protocol.yaml",
        run: |p| crate::audit::protocol::load(p).map(|_| ()),
    }));
}

#[test]
fn compare_protocols() {
    assert_clean(fuzz(Target {
        name: "compare-protocols",
        kind: Kind::Text,
        seeds: vec![project_file("protocols/compare-dxa-frax.yaml")],
        cases: PARSE_CASES,
        file: "compare.yaml",
        run: |p| crate::compare::read_protocol(p).map(|_| ()),
    }));
}

/// A claims file, read and every study checked.
#[test]
fn claims_files() {
    fn check(path: &Path) -> Result<()> {
        let file = crate::claims::load(path)?;
        for study in &file.studies {
            crate::claims::check_study(path, study)?;
        }
        Ok(())
    }
    assert_clean(fuzz(Target {
        name: "claims",
        kind: Kind::Text,
        seeds: vec![project_file("protocols/claims/osteoporosis-review.yaml")],
        cases: COMPUTE_CASES,
        file: "claims.yaml",
        run: check,
    }));
}

#[test]
fn phantom_definitions() {
    fn load(path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains("inserts") {
            crate::phantom::qct::QctPhantom::load(path).map(|_| ())
        } else {
            crate::phantom::vertebra::VertebraSpec::load(path)?.validate()
        }
    }
    let seeds = [
        "phantoms/qct-ha-4.yaml",
        "phantoms/qct-k2hpo4-5.yaml",
        "phantoms/vertebra.yaml",
        "tests/data/small_vertebra.yaml",
    ];
    assert_clean(fuzz(Target {
        name: "phantoms",
        kind: Kind::Text,
        seeds: seeds.iter().map(|s| project_file(s)).collect(),
        cases: PARSE_CASES,
        file: "phantom.yaml",
        run: load,
    }));
}
