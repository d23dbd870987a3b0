//! `radaudit filter`: applies one IBSI 2 filter to an image and writes the response map, so a
//! user can look at what a filter does (as `perturb` shows what a perturbation does).

use std::path::PathBuf;

use super::Outcome;
use crate::error::{Error, Result};
use crate::features::ibsi::filters::Filter;
use crate::volume::io::{self, ReadOptions, WriteOptions};
use crate::volume::{PixelType, Volume};

/// Apply an IBSI 2 filter to an image and write its response map (float32, on the image's
/// grid). FILTER is NAME:key=value,...: mean:support=M; log:sigma=MM[,cutoff=4];
/// laws:kernel=E5L5S5[,invariance=true,pooling=max|average|min][,energy=D];
/// wavelet:name=db2,band=LHL[,level=L][,invariance=true];
/// gabor:sigma=MM,lambda=MM,gamma=G,theta=RAD|delta_theta=RAD[,orthogonal=true];
/// simoncelli:level=L (Fourier domain, whole image, periodic);
/// riesz:order=1/0/0,sigma=MM (of a LoG) or riesz:order=0/2/0,base=simoncelli,level=L.
/// Every filter takes boundary=zero|nearest|periodic|mirror (default mirror; simoncelli:
/// periodic) and dims=2D|3D (default 3D). The README lists every key and its valid range.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The image (file, DICOM folder or builtin:NAME).
    #[arg(long)]
    pub image: PathBuf,
    /// The filter, e.g. "laws:kernel=E5L5S5,invariance=true,pooling=max,energy=7".
    #[arg(long = "apply", value_name = "FILTER")]
    pub filter: String,
    /// The response map (.nii, .nii.gz or .nrrd).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `radaudit filter`.
pub fn run(a: Args) -> Result<Outcome> {
    let filter = Filter::parse(&a.filter).map_err(|e| Error::Usage(format!("--apply: {e}")))?;
    let image = io::read_volume(&a.image, &ReadOptions::default())?;
    let response = filter
        .apply(&image.voxels.mapv(f64::from), image.geometry.spacing)
        .map_err(|e| Error::Usage(format!("--apply: {e}")))?;
    let (lo, hi) = response
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let map = Volume {
        geometry: image.geometry.clone(),
        voxels: response.mapv(|v| v as f32),
        stored_type: PixelType::F32,
    };
    io::write_volume(&map, &a.out, &WriteOptions::default())?;
    eprintln!(
        "applied `{}` to {}: response {lo} to {hi}, written to {}",
        filter.text,
        a.image.display(),
        a.out.display()
    );
    Ok(Outcome::Done)
}
