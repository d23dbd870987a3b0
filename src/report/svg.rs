//! Inline SVG charts: a small element builder with escaping, and the charts the reports use
//! (heatmap, forest plot, paired bars, scatter against the diagonal).
//!
//! Written here rather than with plotters: plotters lays out text only with a font backend
//! (system font discovery or a bundled font), while these charts need rectangles, lines and
//! text that the browser lays out itself.

use std::fmt::Write;

/// Escapes text for SVG/HTML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A `points` attribute: "x,y x,y ...".
fn points_attribute(points: &[(f64, f64)]) -> String {
    let coords: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    coords.join(" ")
}

/// An SVG document being built.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

impl Svg {
    pub fn new(width: f64, height: f64) -> Svg {
        Svg {
            body: String::new(),
            width,
            height,
        }
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, title: Option<&str>) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}">"#
        );
        if let Some(t) = title {
            let _ = write!(self.body, "<title>{}</title>", escape(t));
        }
        self.body.push_str("</rect>");
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = write!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64) {
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="{width}"/>"#,
            points_attribute(points)
        );
    }

    /// A filled, translucent polygon (a confidence band).
    pub fn polygon(&mut self, points: &[(f64, f64)], fill: &str, opacity: f64) {
        let _ = write!(
            self.body,
            r#"<polygon points="{}" fill="{fill}" fill-opacity="{opacity}" stroke="none"/>"#,
            points_attribute(points)
        );
    }

    pub fn circle(&mut self, x: f64, y: f64, r: f64, fill: &str, title: Option<&str>) {
        let _ = write!(
            self.body,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{fill}">"#
        );
        if let Some(t) = title {
            let _ = write!(self.body, "<title>{}</title>", escape(t));
        }
        self.body.push_str("</circle>");
    }

    /// Text; `anchor` is start, middle or end.
    pub fn text(&mut self, x: f64, y: f64, size: f64, anchor: &str, text: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}">{}</text>"#,
            escape(text)
        );
    }

    /// Text turned counter-clockwise by `degrees` about its anchor (column and axis labels).
    pub fn text_turned(&mut self, x: f64, y: f64, size: f64, degrees: f64, text: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="middle" transform="rotate({r} {x:.1} {y:.1})">{}</text>"#,
            escape(text),
            r = -degrees
        );
    }

    pub fn finish(self, label: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="{l}" font-family="sans-serif">{b}</svg>"#,
            w = self.width,
            h = self.height,
            l = escape(label),
            b = self.body
        )
    }
}

/// A colour for a reliability value: red (<= 0) through amber (0.75) to green (1); grey when
/// undefined.
pub fn reliability_colour(v: Option<f64>) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "#bbbbbb".into();
    };
    let t = v.clamp(0.0, 1.0);
    let (r, g, b) = if t < 0.75 {
        let u = t / 0.75;
        (200.0 + 40.0 * u, 40.0 + 150.0 * u, 40.0)
    } else {
        let u = (t - 0.75) / 0.25;
        (240.0 - 200.0 * u, 190.0 - 30.0 * u, 40.0 + 30.0 * u)
    };
    format!("#{:02x}{:02x}{:02x}", r as u8, g as u8, b as u8)
}

/// A feature x column heatmap of reliability values with a legend.
pub fn heatmap(
    rows: &[String],
    columns: &[String],
    value: &dyn Fn(usize, usize) -> Option<f64>,
    label: &str,
) -> String {
    let (left, top, cell_w, cell_h) = (330.0, 90.0, 70.0, 13.0);
    let width = left + cell_w * columns.len() as f64 + 150.0;
    let height = top + cell_h * rows.len() as f64 + 20.0;
    let mut s = Svg::new(width, height);
    for (c, name) in columns.iter().enumerate() {
        s.text_turned(
            left + cell_w * (c as f64 + 0.5),
            top - 20.0,
            12.0,
            45.0,
            name,
        );
    }
    for (r, name) in rows.iter().enumerate() {
        let y = top + cell_h * r as f64;
        s.text(left - 6.0, y + cell_h - 3.0, 10.0, "end", name);
        for c in 0..columns.len() {
            let v = value(r, c);
            let tip = format!(
                "{name} / {}: {}",
                columns[c],
                v.map_or("undefined".into(), |v| format!("{v:.3}"))
            );
            s.rect(
                left + cell_w * c as f64,
                y,
                cell_w - 1.0,
                cell_h - 1.0,
                &reliability_colour(v),
                Some(&tip),
            );
        }
    }
    let lx = left + cell_w * columns.len() as f64 + 20.0;
    for (i, v) in [1.0, 0.9, 0.75, 0.5, 0.0].into_iter().enumerate() {
        let y = top + 18.0 * i as f64;
        s.rect(lx, y, 14.0, 14.0, &reliability_colour(Some(v)), None);
        s.text(lx + 20.0, y + 11.0, 11.0, "start", &format!("{v}"));
    }
    s.rect(lx, top + 90.0, 14.0, 14.0, &reliability_colour(None), None);
    s.text(lx + 20.0, top + 101.0, 11.0, "start", "undefined");
    s.finish(label)
}

/// One forest-plot row: label, estimate and CI.
pub struct ForestRow {
    pub label: String,
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// A forest plot on [min(0, lowest), 1] with a dashed line at `threshold`.
pub fn forest(rows: &[ForestRow], threshold: f64, label: &str) -> String {
    let (left, top, row_h, plot_w) = (380.0, 30.0, 18.0, 420.0);
    let lo = rows
        .iter()
        .map(|r| r.low)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min)
        .max(-1.0);
    let x = |v: f64| left + plot_w * (v.clamp(lo, 1.0) - lo) / (1.0 - lo);
    let height = top + row_h * rows.len() as f64 + 40.0;
    let mut s = Svg::new(left + plot_w + 40.0, height);
    let bottom = top + row_h * rows.len() as f64;
    for t in [lo, 0.0, 0.5, 0.75, 0.9, 1.0] {
        s.line(x(t), top - 5.0, x(t), bottom, "#dddddd", 1.0);
        s.text(x(t), bottom + 16.0, 10.0, "middle", &format!("{t:.2}"));
    }
    s.line(
        x(threshold),
        top - 5.0,
        x(threshold),
        bottom,
        "#cc3333",
        1.5,
    );
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + row_h / 2.0;
        s.text(left - 8.0, y + 4.0, 10.0, "end", &r.label);
        if r.low.is_finite() && r.high.is_finite() {
            s.line(x(r.low), y, x(r.high), y, "#333333", 1.5);
        }
        let tip = format!(
            "{}: {:.3} [{:.3}, {:.3}]",
            r.label, r.estimate, r.low, r.high
        );
        s.circle(
            x(r.estimate),
            y,
            4.0,
            &reliability_colour(Some(r.estimate)),
            Some(&tip),
        );
    }
    s.text(
        left + plot_w / 2.0,
        bottom + 32.0,
        11.0,
        "middle",
        "ICC(1,1) with 95% CI",
    );
    s.finish(label)
}

/// Paired bars: for each group, a "before" and an "after" count.
pub fn paired_bars(groups: &[(String, f64, f64)], names: [&str; 2], label: &str) -> String {
    let (left, top, group_w, plot_h) = (60.0, 20.0, 140.0, 200.0);
    let max = groups.iter().map(|g| g.1.max(g.2)).fold(1.0f64, f64::max);
    let mut s = Svg::new(
        left + group_w * groups.len() as f64 + 160.0,
        top + plot_h + 50.0,
    );
    let base = top + plot_h;
    s.line(
        left,
        base,
        left + group_w * groups.len() as f64,
        base,
        "#333333",
        1.0,
    );
    for (i, (name, a, b)) in groups.iter().enumerate() {
        let x0 = left + group_w * i as f64 + 20.0;
        for (j, (v, colour)) in [(*a, "#d9822b"), (*b, "#2b7bd9")].into_iter().enumerate() {
            let h = plot_h * v / max;
            let xj = x0 + 50.0 * j as f64;
            s.rect(
                xj,
                base - h,
                45.0,
                h,
                colour,
                Some(&format!("{name}, {}: {v}", names[j])),
            );
            s.text(xj + 22.5, base - h - 4.0, 11.0, "middle", &format!("{v}"));
        }
        s.text(x0 + 47.5, base + 16.0, 11.0, "middle", name);
    }
    let lx = left + group_w * groups.len() as f64 + 10.0;
    for (j, colour) in ["#d9822b", "#2b7bd9"].into_iter().enumerate() {
        s.rect(lx, top + 20.0 * j as f64, 12.0, 12.0, colour, None);
        s.text(
            lx + 18.0,
            top + 10.0 + 20.0 * j as f64,
            11.0,
            "start",
            names[j],
        );
    }
    s.finish(label)
}

/// Horizontal bars of passed / total per row (green the passed share, red the rest), each
/// labelled `passed/total`; rows without items are left out.
pub fn pass_bars(rows: &[(String, usize, usize)], label: &str) -> String {
    let rows: Vec<&(String, usize, usize)> = rows.iter().filter(|r| r.2 > 0).collect();
    let (left, top, bar_w, row_h) = (150.0, 10.0, 360.0, 22.0);
    let mut s = Svg::new(left + bar_w + 90.0, top * 2.0 + row_h * rows.len() as f64);
    for (i, (name, passed, total)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let share = *passed as f64 / *total as f64;
        s.text(left - 8.0, y + 14.0, 12.0, "end", name);
        s.rect(
            left,
            y + 2.0,
            bar_w * share,
            row_h - 6.0,
            "#3a9a3a",
            Some(&format!("{name}: {passed} of {total} pass")),
        );
        if *passed < *total {
            s.rect(
                left + bar_w * share,
                y + 2.0,
                bar_w * (1.0 - share),
                row_h - 6.0,
                "#c0392b",
                Some(&format!("{name}: {} of {total} fail", total - passed)),
            );
        }
        s.text(
            left + bar_w + 8.0,
            y + 14.0,
            12.0,
            "start",
            &format!("{passed}/{total}"),
        );
    }
    s.finish(label)
}

/// A scatter of (x, y) points in [lo, 1]^2 with the diagonal.
pub fn scatter_diagonal(points: &[(String, f64, f64)], axes: [&str; 2], label: &str) -> String {
    let (left, top, size) = (60.0, 20.0, 320.0);
    let lo = points
        .iter()
        .flat_map(|p| [p.1, p.2])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::min)
        .max(-1.0);
    let map = |v: f64| (v.clamp(lo, 1.0) - lo) / (1.0 - lo) * size;
    let mut s = Svg::new(left + size + 30.0, top + size + 50.0);
    s.rect(left, top, size, size, "#fafafa", None);
    s.line(left, top + size, left + size, top, "#999999", 1.0);
    for t in [lo, 0.5, 1.0] {
        s.text(
            left + map(t),
            top + size + 16.0,
            10.0,
            "middle",
            &format!("{t:.1}"),
        );
        s.text(
            left - 6.0,
            top + size - map(t) + 4.0,
            10.0,
            "end",
            &format!("{t:.1}"),
        );
    }
    for (name, x, y) in points {
        if x.is_finite() && y.is_finite() {
            s.circle(
                left + map(*x),
                top + size - map(*y),
                3.0,
                "#2b7bd9",
                Some(&format!("{name}: {x:.3} -> {y:.3}")),
            );
        }
    }
    s.text(
        left + size / 2.0,
        top + size + 36.0,
        11.0,
        "middle",
        axes[0],
    );
    s.text_turned(20.0, top + size / 2.0, 11.0, 90.0, axes[1]);
    s.finish(label)
}

/// Colours for the series of a line chart.
pub const SERIES: [&str; 8] = [
    "#2b7bd9", "#d9822b", "#3a9a3a", "#c0392b", "#8e44ad", "#16a085", "#7f8c8d", "#b7950b",
];

/// Curves on [x0, x1] x [y0, y1] with axes, a legend and an optional diagonal.
pub fn line_chart(
    series: &[(String, Vec<(f64, f64)>)],
    x_range: (f64, f64),
    y_range: (f64, f64),
    labels: [&str; 2],
    diagonal: bool,
    title: &str,
) -> String {
    line_chart_with_bands(series, &[], x_range, y_range, labels, diagonal, title)
}

/// A band around a series: points (x, y low, y high), drawn in the series' colour.
pub type Band = Vec<(f64, f64, f64)>;

/// [`line_chart`] with a translucent band under each series that has one (`bands[i]` belongs
/// to `series[i]`; an empty band draws nothing).
pub fn line_chart_with_bands(
    series: &[(String, Vec<(f64, f64)>)],
    bands: &[Band],
    x_range: (f64, f64),
    y_range: (f64, f64),
    labels: [&str; 2],
    diagonal: bool,
    title: &str,
) -> String {
    let (left, top, w, h) = (60.0, 20.0, 360.0, 300.0);
    let sx =
        |x: f64| left + w * (x.clamp(x_range.0, x_range.1) - x_range.0) / (x_range.1 - x_range.0);
    let sy = |y: f64| {
        top + h - h * (y.clamp(y_range.0, y_range.1) - y_range.0) / (y_range.1 - y_range.0)
    };
    let mut s = Svg::new(left + w + 230.0, top + h + 50.0);
    s.rect(left, top, w, h, "#fafafa", None);
    for i in 0..=4 {
        let fx = x_range.0 + (x_range.1 - x_range.0) * i as f64 / 4.0;
        let fy = y_range.0 + (y_range.1 - y_range.0) * i as f64 / 4.0;
        s.line(sx(fx), top, sx(fx), top + h, "#e4e4e4", 1.0);
        s.line(left, sy(fy), left + w, sy(fy), "#e4e4e4", 1.0);
        s.text(sx(fx), top + h + 15.0, 10.0, "middle", &format!("{fx:.2}"));
        s.text(left - 5.0, sy(fy) + 4.0, 10.0, "end", &format!("{fy:.2}"));
    }
    if diagonal {
        s.line(
            sx(x_range.0),
            sy(y_range.0),
            sx(x_range.1),
            sy(y_range.1),
            "#999999",
            1.0,
        );
    }
    for (i, band) in bands.iter().enumerate().filter(|(_, b)| b.len() > 1) {
        let upper = band.iter().map(|&(x, _, hi)| (sx(x), sy(hi)));
        let lower = band.iter().rev().map(|&(x, lo, _)| (sx(x), sy(lo)));
        let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
        s.polygon(&outline, SERIES[i % SERIES.len()], 0.15);
    }
    for (i, (name, points)) in series.iter().enumerate() {
        let colour = SERIES[i % SERIES.len()];
        // Points beyond the x range are left out (not pinned to the edge); y is clipped.
        let mapped: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite() && p.0 >= x_range.0 && p.0 <= x_range.1)
            .map(|&(x, y)| (sx(x), sy(y)))
            .collect();
        s.polyline(&mapped, colour, 2.0);
        s.rect(
            left + w + 15.0,
            top + 18.0 * i as f64,
            12.0,
            12.0,
            colour,
            None,
        );
        s.text(
            left + w + 32.0,
            top + 10.0 + 18.0 * i as f64,
            11.0,
            "start",
            name,
        );
    }
    s.text(left + w / 2.0, top + h + 35.0, 11.0, "middle", labels[0]);
    s.text_turned(18.0, top + h / 2.0, 11.0, 90.0, labels[1]);
    s.finish(title)
}
