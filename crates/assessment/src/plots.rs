//! SVG plots of the report, drawn with `plotters` into strings.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{AssessmentError, CurvePoint, ScenarioAssessment};

/// Colours for scenario curves (distinct, printable on white).
const PALETTE: [RGBColor; 9] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

/// Colour of inbound flows (into the assessed Member State).
pub(crate) const INBOUND: RGBColor = RGBColor(31, 119, 180);
/// Colour of outbound flows.
pub(crate) const OUTBOUND: RGBColor = RGBColor(255, 127, 14);

type PlotResult = Result<(), Box<dyn std::error::Error>>;

/// A scenario curve: palette index, scenario, points.
type Series<'a> = (usize, &'a ScenarioAssessment, Vec<(f64, f64)>);

fn draw(
    plot: &'static str,
    size: (u32, u32),
    body: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> PlotResult,
) -> Result<String, AssessmentError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let result = root
            .fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|_| body(&root).map_err(|e| e.to_string()))
            .and_then(|_| root.present().map_err(|e| e.to_string()));
        result.map_err(|message| AssessmentError::Plot { plot, message })?;
    }
    Ok(out)
}

/// Compact scientific label for a log axis.
pub(crate) fn sci(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    let m = v / 10f64.powi(e);
    if (m - 1.0).abs() < 0.05 {
        format!("1e{e}")
    } else {
        format!("{m:.1}e{e}")
    }
}

/// Exceedance curves: one per scenario with an annual frequency and impact
/// in the Member State, plus the all-hazards curve. `None` when there is
/// nothing to plot.
pub(crate) fn exceedance(
    ms: &str,
    scenarios: &[ScenarioAssessment],
    all: &[CurvePoint],
) -> Result<Option<String>, AssessmentError> {
    let series: Vec<Series<'_>> = scenarios
        .iter()
        .enumerate()
        .filter(|(_, s)| s.annual_frequency > 0.0)
        .map(|(k, s)| {
            let pts: Vec<(f64, f64)> = s
                .exceedance
                .iter()
                .map(|&(x, p)| (x, 1.0 - (-s.annual_frequency * p).exp()))
                .filter(|&(x, p)| x > 0.0 && p > 0.0)
                .collect();
            (k, s, pts)
        })
        .filter(|(_, _, pts)| !pts.is_empty())
        .collect();
    let all_pts: Vec<(f64, f64)> = all
        .iter()
        .map(|c| (c.user_hours, c.annual_probability))
        .filter(|&(x, p)| x > 0.0 && p > 0.0)
        .collect();
    if series.is_empty() && all_pts.is_empty() {
        return Ok(None);
    }
    let xs = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|q| q.0))
        .chain(all_pts.iter().map(|q| q.0));
    let (x0, x1) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let ys = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|q| q.1))
        .chain(all_pts.iter().map(|q| q.1));
    let y0 = ys.fold(f64::INFINITY, f64::min);
    let (x0, x1) = (x0 / 1.5, x1 * 1.5);
    let (y0, y1) = ((y0 / 2.0).min(0.5), 1.0);
    let svg = draw("exceedance", (860, 520), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("Annual exceedance probability of user-hours in {ms}"),
                ("sans-serif", 18),
            )
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "user-hours in {ms} per event (users × hours without service; log scale)"
            ))
            .y_desc("annual exceedance probability (log scale)")
            .x_label_formatter(&|v| sci(*v))
            .y_label_formatter(&|v| sci(*v))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        for (k, s, pts) in &series {
            let c = PALETTE[k % PALETTE.len()];
            // Markers keep short (steep) curves visible.
            chart.draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 2, c.filled())))?;
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                .label(s.id.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(2))
                });
        }
        if !all_pts.is_empty() {
            chart
                .draw_series(LineSeries::new(
                    all_pts.iter().copied(),
                    BLACK.stroke_width(4),
                ))?
                .label("all hazards")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], BLACK.stroke_width(4))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .draw()?;
        Ok(())
    })?;
    Ok(Some(svg))
}

/// Horizontal bars on a log axis; rows with value ≤ 0 are left out. `None`
/// when no row is left.
pub(crate) fn hbar(
    plot: &'static str,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    rows: &[(String, f64, RGBColor)],
) -> Result<Option<String>, AssessmentError> {
    let rows: Vec<&(String, f64, RGBColor)> = rows.iter().filter(|r| r.1 > 0.0).collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let lo = rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let hi = rows.iter().map(|r| r.1).fold(0.0f64, f64::max);
    // At least two decades, so that the log axis is labelled at powers of ten.
    let (x0, x1) = ((lo / 3.0).min(hi / 100.0), hi * 2.0);
    let n = rows.len() as i32;
    let height = 120 + 28 * rows.len() as u32;
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let svg = draw(plot, (860, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 18))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size(270)
            .build_cartesian_2d((x0..x1).log_scale(), (0..n).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len())
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&|v| sci(*v))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => names
                    .get(usize::try_from(*i).unwrap_or(usize::MAX))
                    .cloned()
                    .unwrap_or_default(),
                SegmentValue::Last => String::new(),
            })
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .draw()?;
        chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
            let i = i as i32;
            let mut bar = Rectangle::new(
                [
                    (x0, SegmentValue::Exact(i)),
                    (r.1, SegmentValue::Exact(i + 1)),
                ],
                r.2.filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))?;
        Ok(())
    })?;
    Ok(Some(svg))
}
