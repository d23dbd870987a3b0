//! The front ends of the commands that are more than a library call: the statistics commands
//! (`icc`, `harmonize`, `roc`: each reads the user's CSV, checks it, with errors naming the
//! file, row and column, calls `stats`, and writes its outputs atomically), `perturb` and
//! `phantom`. main.rs only parses arguments and calls these.

pub mod cluster;
pub mod harmonize;
pub mod icc;
pub mod perturb;
pub mod phantom;
pub mod roc;

use std::collections::HashMap;

/// Gives each distinct string a dense index in order of first appearance.
#[derive(Debug, Default)]
pub struct Interner {
    index: HashMap<String, usize>,
    pub names: Vec<String>,
}

impl Interner {
    pub fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len();
        self.index.insert(name.to_string(), i);
        self.names.push(name.to_string());
        i
    }
}
