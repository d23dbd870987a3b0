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

/// The style sheet every report inlines.
pub(crate) const STYLE: &str = include_str!("../../templates/report.css");

/// Renders a report's template (`name` for tera's messages) with its context.
pub(crate) fn render(
    name: &str,
    template: &str,
    ctx: &tera::Context,
) -> crate::error::Result<String> {
    use crate::error::Error;
    let mut tera = tera::Tera::default();
    tera.add_raw_template(name, template)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    tera.render(name, ctx)
        .map_err(|e| Error::Internal(format!("report: {e:?}")))
}
