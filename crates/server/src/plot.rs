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

/// Whether user-hours levels spread over two or more orders of magnitude
/// (then the x axis is logarithmic, dropping the level 0).
fn wants_log(levels: &[f64]) -> bool {
    let positive: Vec<f64> = levels.iter().copied().filter(|x| *x > 0.0).collect();
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0_f64, f64::max);
    positive.len() >= 2 && hi / lo >= 100.0
}

/// Renders the exceedance curve of `summary`; `title` heads the image.
/// Heavy tails are common, so levels spanning two or more orders of
/// magnitude are drawn on a logarithmic user-hours axis.
pub fn exceedance_svg(summary: &SimulationSummary, title: &str) -> Result<String, String> {
    let finite: Vec<_> = summary
        .exceedance
        .iter()
        .filter(|p| p.user_hours.is_finite() && p.probability.is_finite())
        .collect();
    let levels: Vec<f64> = finite.iter().map(|p| p.user_hours).collect();
    let log = wants_log(&levels);
    let keep = |x: f64| !log || x > 0.0;
    let tx = |x: f64| if log { x.log10() } else { x };
    let points: Vec<(f64, f64)> = finite
        .iter()
        .filter(|p| keep(p.user_hours))
        .map(|p| (tx(p.user_hours), p.probability))
        .collect();
    let annual: Vec<(f64, f64)> = finite
        .iter()
        .filter(|p| keep(p.user_hours))
        .filter_map(|p| p.annual_probability.map(|a| (tx(p.user_hours), a)))
        .filter(|(_, y)| y.is_finite())
        .collect();
    let (x_min, x_max) = if log {
        let lo = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let hi = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        let hi = points.iter().map(|p| p.0).fold(0.0_f64, f64::max);
        (0.0, hi.max(1.0) * 1.05)
    };
    let label = move |v: &f64| {
        if log {
            short(10f64.powf(*v))
        } else {
            short(*v)
        }
    };
    let x_desc = if log {
        "user-hours lost (one event, log scale)"
    } else {
        "user-hours lost (one event)"
    };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(14)
            .x_label_area_size(42)
            .y_label_area_size(56)
            .build_cartesian_2d(x_min..x_max, 0.0..1.0_f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("probability of exceeding")
            .x_label_formatter(&label)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_ranges_get_a_log_axis() {
        assert!(wants_log(&[0.0, 10.0, 5_000.0]));
        assert!(!wants_log(&[0.0, 10.0, 500.0]));
        assert!(!wants_log(&[0.0, 1e9]));
        assert!(!wants_log(&[]));
    }

    #[test]
    fn short_labels() {
        assert_eq!(short(950.0), "950");
        assert_eq!(short(12_500.0), "12.5k");
        assert_eq!(short(3_000_000.0), "3.0M");
    }
}
