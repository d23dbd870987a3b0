//! The IBSI compliance report (`report.html` of `radaudit ibsi-check`): pass counts per family
//! and data set, then every reference row with radaudit's value.

use serde_json::{Value, json};
use tera::Context;

use crate::error::Result;
use crate::features::ibsi::FAMILIES;
use crate::ibsi_check::CheckResults;

const TEMPLATE: &str = include_str!("../../templates/ibsi.html.tera");

/// Renders the report from ibsi_check.json's content.
pub fn render(results: &CheckResults) -> Result<String> {
    let sets = &results.results;
    let configs: Vec<&str> = sets.iter().map(|s| s.config.as_str()).collect();
    let families: Vec<Value> = FAMILIES
        .iter()
        .map(|(family, _)| {
            let cells: Vec<Value> = sets
                .iter()
                .map(|s| {
                    let rows: Vec<_> = s.rows.iter().filter(|x| x.family == *family).collect();
                    let passed = rows.iter().filter(|x| x.pass).count();
                    json!({"rows": rows.len(), "passed": passed})
                })
                .collect();
            json!({"family": family, "cells": cells})
        })
        .collect();
    let totals: Vec<(String, usize, usize)> = FAMILIES
        .iter()
        .map(|(family, _)| {
            let rows = sets
                .iter()
                .flat_map(|s| s.rows.iter().filter(|x| x.family == *family));
            let (passed, total) = rows.fold((0, 0), |(p, t), x| (p + usize::from(x.pass), t + 1));
            (family.to_string(), passed, total)
        })
        .collect();
    let bars = super::svg::pass_bars(&totals, "Reference rows passed per family");
    let mut ctx = Context::new();
    ctx.insert("style", super::STYLE);
    ctx.insert("bars", &bars);
    ctx.insert("script", super::TABLE_SCRIPT);
    ctx.insert("r", results);
    ctx.insert("configs", &configs);
    ctx.insert("families", &families);
    super::render("ibsi.html", TEMPLATE, &ctx)
}
