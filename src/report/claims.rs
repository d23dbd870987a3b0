//! The claims report (`report.html`): the tally, then per study and data set each check with
//! its claim, computation, verdict and the question a reviewer could ask; then how each check
//! works and its source.

use tera::{Context, Tera};

use crate::claims::ClaimsResults;
use crate::error::{Error, Result};

const TEMPLATE: &str = include_str!("../../templates/claims.html.tera");
const STYLE: &str = include_str!("../../templates/report.css");

/// Renders the report from claims.json's content.
pub fn render(results: &ClaimsResults) -> Result<String> {
    let mut ctx = Context::new();
    ctx.insert("style", STYLE);
    ctx.insert("script", super::TABLE_SCRIPT);
    ctx.insert("title", &results.name);
    ctx.insert("r", results);
    let mut tera = Tera::default();
    tera.add_raw_template("claims.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    tera.render("claims.html", &ctx)
        .map_err(|e| Error::Internal(format!("report: {e:?}")))
}
