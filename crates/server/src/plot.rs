//! The exceedance curve of a simulation run as an SVG image (`plotters`,
//! SVG back end): probability that one event exceeds a level of user-hours,
//! and the annual exceedance probability when the scenario has a frequency.

use plotters::prelude::*;

use bulwark_resilience::simulations::SimulationSummary;

/// Width and height of the image in pixels.
pub const SIZE: (u32, u32) = (760, 420);

fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Renders the exceedance curve of `summary`; `title` heads the image.
pub fn exceedance_svg(summary: &SimulationSummary, title: &str) -> Result<String, String> {
    let points: Vec<(f64, f64)> = summary
        .exceedance
        .iter()
        .filter(|p| p.user_hours.is_finite() && p.probability.is_finite())
        .map(|p| (p.user_hours, p.probability))
        .collect();
    let annual: Vec<(f64, f64)> = summary
        .exceedance
        .iter()
        .filter_map(|p| p.annual_probability.map(|a| (p.user_hours, a)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let x_max = points.iter().map(|p| p.0).fold(0.0_f64, f64::max).max(1.0) * 1.05;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(14)
            .x_label_area_size(42)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_max, 0.0..1.0_f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("user-hours lost (one event)")
            .y_desc("probability of exceeding")
            .x_label_formatter(&|v| short(*v))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(|e| e.to_string())?;
        let blue = RGBColor(0, 51, 153);
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                blue.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label("per event")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 3, blue.filled())),
            )
            .map_err(|e| e.to_string())?;
        if !annual.is_empty() {
            let red = RGBColor(164, 0, 29);
            chart
                .draw_series(LineSeries::new(annual.iter().copied(), red.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label("per year")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
