//! Charts of detection rate and false-positive rate against the threshold, one panel per
//! transformation family, drawn with `plotters` as SVG and as PNG.
//!
//! The PNG needs no font files: plotters' bitmap backend is wrapped in [`GlyphBitmap`],
//! which draws all text with the crate's own 5x7 bitmap font ([`crate::font`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};

use crate::{AccuracyError, AccuracyReport, font};

/// Width of the chart in pixels.
pub const WIDTH: u32 = 1440;
/// Height of the chart in pixels.
pub const HEIGHT: u32 = 1000;

/// The chart as an SVG document.
pub fn svg(report: &AccuracyReport) -> Result<String, AccuracyError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, report)?;
        root.present().map_err(plot_err)?;
    }
    Ok(out)
}

/// The chart as PNG bytes (text in the built-in bitmap font).
pub fn png(report: &AccuracyReport) -> Result<Vec<u8>, AccuracyError> {
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let backend = GlyphBitmap(BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)));
        let root = backend.into_drawing_area();
        draw(&root, report)?;
        root.present().map_err(plot_err)?;
    }
    let img = image::RgbImage::from_raw(WIDTH, HEIGHT, buf)
        .ok_or_else(|| AccuracyError::Plot("bitmap size mismatch".into()))?;
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| AccuracyError::Plot(format!("PNG encode: {e}")))?;
    Ok(bytes)
}

fn plot_err(e: impl std::fmt::Display) -> AccuracyError {
    AccuracyError::Plot(e.to_string())
}

const SOLID: RGBColor = RGBColor(31, 90, 170);
const DASHED: RGBColor = RGBColor(110, 160, 220);
const FPR: RGBColor = RGBColor(200, 40, 40);
const MARK: RGBColor = RGBColor(150, 150, 150);

/// Draws the small multiples on any plotters backend.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &AccuracyReport,
) -> Result<(), AccuracyError> {
    root.fill(&WHITE).map_err(plot_err)?;
    let (header, body) = root.split_vertically(70);
    let hl = report.settings.highlight;
    header
        .draw(&Text::new(
            format!(
                "PDQ detection accuracy by transformation family ({} originals, seed {})",
                report.originals.len(),
                report.settings.seed
            ),
            (12, 8),
            ("sans-serif", 22).into_font().color(&BLACK),
        ))
        .map_err(plot_err)?;
    let legend = [
        "blue solid line: detected, best of the 8 dihedral hashes. light blue dashed: detected, plain hash."
            .to_string(),
        format!(
            "red (right axis): false-positive rate per comparison, best of 8. grey vertical line: threshold {hl}. \
             all thresholds inclusive (distance <= t)."
        ),
    ];
    for (k, line) in legend.iter().enumerate() {
        header
            .draw(&Text::new(
                line.clone(),
                (12, 34 + 16 * k as i32),
                ("sans-serif", 13).into_font().color(&BLACK),
            ))
            .map_err(plot_err)?;
    }

    let ts = &report.settings.thresholds;
    let (x_min, x_max) = match (ts.first(), ts.last()) {
        (Some(&a), Some(&b)) if b > a => (a, b),
        (Some(&a), _) => (a.saturating_sub(1), a + 1),
        _ => return Err(AccuracyError::Plot("no thresholds".into())),
    };
    // One FPR scale for every panel, so panels compare: the largest FPR, rounded up.
    let max_fpr = report
        .families
        .iter()
        .flat_map(|f| {
            f.by_threshold
                .iter()
                .map(move |c| c.false_positive_rate(f, true))
        })
        .fold(0.0f64, f64::max);
    let fpr_top = nice_ceiling(100.0 * max_fpr);

    let cols = 4usize;
    let rows = report.families.len().div_ceil(cols).max(1);
    let panels = body.split_evenly((rows, cols));
    for (fam, panel) in report.families.iter().zip(panels.iter()) {
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{}, n={}", fam.name, fam.pairs), ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .right_y_label_area_size(46)
            .build_cartesian_2d(x_min..x_max, 0.0f64..100.0)
            .map_err(plot_err)?
            .set_secondary_coord(x_min..x_max, 0.0f64..fpr_top);
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(6)
            .x_desc("threshold")
            .y_desc("detected %")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .label_style(("sans-serif", 12))
            .axis_desc_style(("sans-serif", 13))
            .light_line_style(WHITE)
            .draw()
            .map_err(plot_err)?;
        chart
            .configure_secondary_axes()
            .y_labels(5)
            .y_desc("FPR %")
            .y_label_formatter(&|v| format!("{v:.2}"))
            .label_style(("sans-serif", 12).into_font().color(&FPR))
            .axis_desc_style(("sans-serif", 13).into_font().color(&FPR))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                [(hl, 0.0), (hl, 100.0)],
                MARK.stroke_width(1),
            ))
            .map_err(plot_err)?;
        let plain: Vec<(u32, f64)> = fam
            .by_threshold
            .iter()
            .map(|c| (c.threshold, 100.0 * c.detection_rate(fam, false)))
            .collect();
        let dih: Vec<(u32, f64)> = fam
            .by_threshold
            .iter()
            .map(|c| (c.threshold, 100.0 * c.detection_rate(fam, true)))
            .collect();
        let fpr: Vec<(u32, f64)> = fam
            .by_threshold
            .iter()
            .map(|c| (c.threshold, 100.0 * c.false_positive_rate(fam, true)))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(plain, 6, 4, DASHED.stroke_width(2)))
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(dih.clone(), SOLID.stroke_width(2)))
            .map_err(plot_err)?;
        chart
            .draw_series(dih.iter().map(|&p| Circle::new(p, 3, SOLID.filled())))
            .map_err(plot_err)?;
        chart
            .draw_secondary_series(LineSeries::new(fpr.clone(), FPR.stroke_width(2)))
            .map_err(plot_err)?;
        chart
            .draw_secondary_series(fpr.iter().map(|&p| Cross::new(p, 3, FPR.stroke_width(1))))
            .map_err(plot_err)?;
    }
    Ok(())
}

/// A round axis top at or above `v` (at least 0.1).
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.1) {
        return 0.1;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// plotters' bitmap backend with text drawn in the crate's 5x7 bitmap font, so PNG output
/// needs no system fonts (plotters' own bitmap text rendering needs a TrueType font).
pub struct GlyphBitmap<'a>(pub BitMapBackend<'a>);

fn glyph_scale(size: f64) -> u32 {
    if size >= 28.0 {
        3
    } else if size >= 15.0 {
        2
    } else {
        1
    }
}

impl<'a> DrawingBackend for GlyphBitmap<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let scale = glyph_scale(style.size());
        let (w, h) = font::text_size(text, scale);
        let (w, h) = (w as i32, h as i32);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let transform = style.transform();
        let (bw, bh) = self.0.get_size();
        let mut result = Ok(());
        font::for_each_pixel(text, scale, |x, y| {
            let (tx, ty) = transform.transform(x as i32 + dx, y as i32 + dy);
            let (px, py) = (pos.0 + tx, pos.1 + ty);
            if result.is_ok() && px >= 0 && py >= 0 && px < bw as i32 && py < bh as i32 {
                result = self.0.draw_pixel((px, py), colour);
            }
        });
        result
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        Ok(font::text_size(text, glyph_scale(style.size())))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }
}

#[cfg(test)]
mod tests {
    use super::nice_ceiling;

    #[test]
    fn ceilings() {
        assert_eq!(nice_ceiling(0.0), 0.1);
        assert_eq!(nice_ceiling(f64::NAN), 0.1);
        assert_eq!(nice_ceiling(0.3), 0.5);
        assert_eq!(nice_ceiling(1.7), 2.0);
        assert_eq!(nice_ceiling(2.2), 2.5);
        assert_eq!(nice_ceiling(7.0), 10.0);
    }
}
