//! Built-in volumes, so that every command can run without user files: `builtin:NAME` paths
//! name them wherever a volume file is read.

mod ibsi_digital;

use std::path::Path;

use crate::error::{Error, Result};
use crate::volume::Volume;

pub use ibsi_digital::{digital_phantom_image, digital_phantom_mask};

/// The prefix of a built-in volume's path: `builtin:ibsi-digital`.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// The names `builtin:NAME` accepts, with what each is.
pub const BUILTINS: [(&str, &str); 2] = [
    ("ibsi-digital", "IBSI 1 digital phantom image (5x4x4, 2 mm)"),
    (
        "ibsi-digital-mask",
        "IBSI 1 digital phantom ROI mask (74 voxels)",
    ),
];

/// The built-in volume a `builtin:NAME` path names.
pub fn builtin_volume(path: &Path) -> Result<Volume> {
    let text = path.to_string_lossy();
    let name = text.strip_prefix(BUILTIN_PREFIX).unwrap_or(&text);
    match name {
        "ibsi-digital" => Ok(digital_phantom_image()),
        "ibsi-digital-mask" => Ok(digital_phantom_mask().to_volume()),
        _ => Err(Error::input(
            path,
            format!(
                "unknown built-in volume; available: {}",
                BUILTINS
                    .iter()
                    .map(|(n, _)| format!("{BUILTIN_PREFIX}{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
