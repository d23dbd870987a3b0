//! The IBSI compliance report (`report.html` of `radaudit ibsi-check`): pass counts per family
//! and data set, then every reference row with radaudit's value.

use serde_json::{Value, json};
use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::ibsi::FAMILIES;

const TEMPLATE: &str = include_str!("../../templates/ibsi.html.tera");
const STYLE: &str = include_str!("../../templates/report.css");

/// Renders the report from ibsi_check.json's content.
pub fn render(results: &Value) -> Result<String> {
    let sets = results["results"].as_array().cloned().unwrap_or_default();
    let configs: Vec<Value> = sets.iter().map(|s| s["config"].clone()).collect();
    let families: Vec<Value> = FAMILIES
        .iter()
        .map(|(family, _)| {
            let cells: Vec<Value> = sets
                .iter()
                .map(|s| {
                    let rows: Vec<&Value> = s["rows"]
                        .as_array()
                        .map(|r| r.iter().filter(|x| x["family"] == *family).collect())
                        .unwrap_or_default();
                    let passed = rows.iter().filter(|x| x["pass"] == true).count();
                    json!({"rows": rows.len(), "passed": passed})
                })
                .collect();
            json!({"family": family, "cells": cells})
        })
        .collect();
    let mut ctx = Context::new();
    ctx.insert("style", STYLE);
    ctx.insert("r", results);
    ctx.insert("configs", &configs);
    ctx.insert("families", &families);
    let mut tera = Tera::default();
    tera.add_raw_template("ibsi.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    tera.render("ibsi.html", &ctx)
        .map_err(|e| Error::Internal(format!("report: {e:?}")))
}
