//! The synthetic phantoms radaudit generates: the vertebra of requested bone density, the
//! synthetic osteoporosis cohort built from it, and scans of QCT calibration phantoms.

pub(crate) mod cohort;
pub(crate) mod qct;
pub mod vertebra;
