//! The run's Gantt-like chart, drawn with plotters on the server: a row
//! per stage, its planned span (grey) over its actual-or-forecast span
//! (green when finished, blue while going, red when late), with now and the
//! freeze's end as vertical lines. A stage is the unit a manager follows;
//! the task table below the chart has the detail.

use super::PlanContent;
use super::run::Forecast;
use chrono_tz::Tz;
use plotters::prelude::*;

// Narrow enough that a phone (390 px) shows the stage names at a readable
// size; the SVG scales up on a wall screen.
const WIDTH: u32 = 640;
const ROW: u32 = 54;

/// One stage's spans.
struct Row {
    name: String,
    planned: (i64, i64),
    actual: (i64, i64),
    finished: bool,
}

fn rows(plan: &PlanContent, f: &Forecast) -> Vec<Row> {
    plan.stages()
        .into_iter()
        .filter_map(|stage| {
            let ix: Vec<usize> = (0..plan.tasks.len())
                .filter(|&i| plan.tasks[i].stage == stage && !plan.tasks[i].rollback)
                .collect();
            let span = |pick: &dyn Fn(usize) -> (i64, i64)| {
                let lo = ix.iter().map(|&i| pick(i).0).min()?;
                let hi = ix.iter().map(|&i| pick(i).1).max()?;
                Some((lo, hi))
            };
            Some(Row {
                name: stage.to_string(),
                planned: span(&|i| f.tasks[i].planned)?,
                actual: span(&|i| f.tasks[i].forecast)?,
                finished: ix.iter().all(|&i| f.tasks[i].state.status.is_finished()),
            })
        })
        .collect()
}

/// The chart as SVG, or the drawing error (logged by the caller; the page
/// then shows the table alone).
pub fn svg(plan: &PlanContent, f: &Forecast, now: i64, tz: Tz) -> Result<String, String> {
    let rows = rows(plan, f);
    if rows.is_empty() {
        return Ok(String::new());
    }
    let lo = rows
        .iter()
        .map(|r| r.planned.0.min(r.actual.0))
        .min()
        .unwrap_or(plan.starts_at)
        .min(plan.starts_at);
    let hi = rows
        .iter()
        .map(|r| r.planned.1.max(r.actual.1))
        .max()
        .unwrap_or(plan.ends_at)
        .max(plan.ends_at);
    let pad = ((hi - lo) / 40).max(600);
    let (x0, x1) = ((lo - pad) as f64, (hi + pad) as f64);
    let n = rows.len();
    let height = 70 + ROW * n as u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut ctx = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(0)
            .build_cartesian_2d(x0..x1, 0.0..n as f64)
            .map_err(|e| e.to_string())?;
        let label = |x: &f64| crate::zone::short(*x as i64, tz);
        ctx.configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .bold_line_style(RGBColor(230, 232, 236))
            .light_line_style(TRANSPARENT)
            .axis_style(RGBColor(150, 150, 150))
            .x_labels(5)
            .x_label_formatter(&label)
            .label_style(("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90)))
            .draw()
            .map_err(|e| e.to_string())?;
        let grey = RGBColor(200, 204, 210);
        let green = RGBColor(46, 139, 87);
        let blue = RGBColor(31, 119, 180);
        let red = RGBColor(214, 39, 40);
        for (k, r) in rows.iter().enumerate() {
            // Row k from the top.
            let y = (n - 1 - k) as f64;
            let late = r.actual.1 > r.planned.1;
            let colour = match (r.finished, late) {
                (_, true) => red,
                (true, false) => green,
                (false, false) => blue,
            };
            let bar = |(a, b): (i64, i64), top: f64, bottom: f64, c: RGBColor| {
                // A span of no time still shows as a sliver.
                let b = b.max(a + (hi - lo) / 300);
                Rectangle::new([(a as f64, y + top), (b as f64, y + bottom)], c.filled())
            };
            ctx.draw_series([
                bar(r.planned, 0.62, 0.50, grey),
                bar(r.actual, 0.46, 0.20, colour),
            ])
            .map_err(|e| e.to_string())?;
            ctx.draw_series([Text::new(
                r.name.clone(),
                (x0 + pad as f64 * 0.2, y + 0.95),
                ("sans-serif", 16).into_font().color(&RGBColor(40, 40, 40)),
            )])
            .map_err(|e| e.to_string())?;
        }
        let vline = |x: i64, c: RGBColor| {
            PathElement::new(
                vec![(x as f64, 0.0), (x as f64, n as f64)],
                c.stroke_width(2),
            )
        };
        ctx.draw_series([vline(plan.ends_at, red)])
            .map_err(|e| e.to_string())?;
        if (lo..=hi).contains(&now) {
            ctx.draw_series([vline(now, RGBColor(60, 60, 60))])
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}
