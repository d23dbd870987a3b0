//! The claims report (`report.html`): the tally, then per study and data set each check with
//! its claim, computation, verdict and the question a reviewer could ask; then how each check
//! works and its source.

use tera::Context;

use crate::claims::ClaimsResults;
use crate::error::Result;

const TEMPLATE: &str = include_str!("../../templates/claims.html.tera");

/// Renders the report from claims.json's content.
pub fn render(results: &ClaimsResults) -> Result<String> {
    let mut ctx = Context::new();
    ctx.insert("style", super::STYLE);
    ctx.insert("script", super::TABLE_SCRIPT);
    ctx.insert("title", &results.name);
    ctx.insert("r", results);
    super::render("claims.html", TEMPLATE, &ctx)
}
