//! Self-contained HTML reports: tera templates from `templates/` (compiled into the binary),
//! charts as inline SVG (`svg`), inline CSS, no network. Every user-supplied string reaches
//! the page through tera's HTML escaping or `svg::escape`. Image panels (`panel`) are inline
//! PNG data URIs. One inline script (`templates/tables.js`) adds a CSV download link under
//! every table and the audit's per-feature filters; every table reads the same without it.

pub mod audit;
pub mod calibrate;
pub mod claims;
pub mod compare;
pub mod ibsi;
pub mod ibsi2;
pub mod panel;
pub mod svg;

/// The script every report carries (inside CDATA in the template, so the page stays
/// well-formed markup).
pub(crate) const TABLE_SCRIPT: &str = include_str!("../../templates/tables.js");
