//! Self-contained HTML reports: tera templates from `templates/` (compiled into the binary),
//! charts as inline SVG (`svg`), inline CSS, no network. Every user-supplied string reaches
//! the page through tera's HTML escaping or `svg::escape`.

pub mod audit;
pub mod calibrate;
pub mod claims;
pub mod compare;
pub mod ibsi;
pub mod svg;
