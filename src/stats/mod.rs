//! Statistics for reproducibility and model comparison: reliability (`icc`), agreement
//! (`agreement`: Lin's CCC, CV, within-subject SD), ComBat harmonization (`combat`),
//! batch-effect tests (`batch_tests`), ROC with DeLong (`roc`), calibration
//! (`calibration`) and decision curves (`dca`). Each matches a trusted peer (pingouin,
//! neuroCombat, pROC, dcurves, scipy) where that peer is right; departures are documented in
//! the module.

pub mod agreement;
pub mod batch_tests;
pub mod calibration;
pub mod combat;
pub mod dca;
pub mod icc;
pub mod roc;
