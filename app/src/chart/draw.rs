//! Drawing a [`Chart`] to SVG with plotters, and the component that shows
//! it. Charts are drawn on the server only, for a desk and for a phone, so
//! they read and print without JavaScript; the browser gets the
//! [`ChartPlot`] island alone, which reads the values under the pointer.

use super::{Chart, Kind, fmt_bucket, fmt_value};
use crate::components::escape_html;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How big a chart is drawn: its SVG units, which CSS scales to the
/// column, and the sizes of its words and labels in those units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// SVG width.
    pub width: u32,
    /// SVG height.
    pub height: u32,
    /// Axis labels and descriptions.
    label: u32,
    /// Threshold and state-change labels.
    note: u32,
    /// About how many time labels.
    x_labels: usize,
    /// Room left of the plot for the value labels.
    y_label_area: u32,
}

/// The chart as a desk screen shows it: a column of about 900 px.
pub const WIDE: Size = Size {
    width: 960,
    height: 300,
    label: 13,
    note: 11,
    x_labels: 8,
    y_label_area: 64,
};

/// The chart as a phone shows it. A 390 px screen leaves a chart about
/// 330 px, which scaled the wide drawing to a third: 13 px words became
/// 4 px. This one is drawn near the size it is shown at, with fewer time
/// labels, so its words keep about their size.
pub const PHONE: Size = Size {
    width: 360,
    height: 280,
    label: 14,
    note: 13,
    x_labels: 4,
    y_label_area: 52,
};

/// A drawn chart: the SVG and where its plot area lies, for reading the
/// bucket under the pointer.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The SVG document.
    pub svg: String,
    /// Its size.
    pub size: Size,
    /// The plot area's left and right edge in SVG units.
    pub plot_x: (i32, i32),
}

fn rgb(hex: &str) -> RGBColor {
    let c = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(128)
    };
    RGBColor(c(1), c(3), c(5))
}

/// Axis numbers short enough for the label area: 1.2k, 3.4M.
fn short(v: f64, percent: bool, decimals: usize) -> String {
    if percent {
        return format!("{v:.decimals$} %");
    }
    if decimals > 0 && v.abs() < 1e3 {
        return format!("{v:.decimals$}");
    }
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Decimals the y labels need so that neighbouring ticks read apart: the
/// axis has about six ticks, so their step is about a sixth of the range
/// (0.02 % steps need two decimals, not one that repeats "0.2 %" three
/// times). Percentages show at least one.
fn y_decimals(lo: f64, hi: f64, percent: bool) -> usize {
    let step = (hi - lo) / 6.0;
    let needed = if step > 0.0 && step < 1.0 {
        (-step.log10()).ceil() as usize
    } else {
        0
    };
    needed.clamp(usize::from(percent), 4)
}

/// The value range the chart's y axis covers, with headroom; 0 is always
/// on it.
fn y_range(chart: &Chart) -> (f64, f64) {
    let n = chart.span.buckets().len();
    let (mut lo, mut hi) = (0f64, 0f64);
    if chart.kind == Kind::Stacked {
        for i in 0..n {
            let sum: f64 = chart
                .series
                .iter()
                .filter_map(|s| s.values.get(i).copied().flatten())
                .sum();
            hi = hi.max(sum);
        }
    } else {
        for v in chart.series.iter().flat_map(|s| s.values.iter().flatten()) {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    for t in &chart.thresholds {
        lo = lo.min(t.value);
        hi = hi.max(t.value);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

/// Draws the chart at `size`. Lines put their points in the middle of a
/// bucket.
pub fn draw(chart: &Chart, size: Size) -> Result<Drawn, String> {
    let buckets = chart.span.buckets();
    let n = buckets.len().max(1);
    let (span, step) = (chart.span, chart.span.step);
    let (lo, hi) = y_range(chart);
    // The x axis counts days (hours for a range of a day or less) from the
    // midnight (hour) the range starts in, so its ticks fall on midnights
    // (whole hours); `at` places a position in buckets on it.
    let unit = if span.to - span.from > super::DAY {
        super::DAY
    } else {
        super::HOUR
    };
    let origin = span.from - span.from.rem_euclid(unit);
    let off = (span.from - origin) as f64 / unit as f64;
    let k = step as f64 / unit as f64;
    let at = |buckets: f64| off + buckets * k;
    let mut svg = String::new();
    let plot_x;
    {
        let root = SVGBackend::with_string(&mut svg, (size.width, size.height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut ctx = ChartBuilder::on(&root)
            .margin_top(18)
            .margin_right(16)
            .margin_left(8)
            .x_label_area_size(40)
            .y_label_area_size(size.y_label_area)
            .build_cartesian_2d(off..off + n as f64 * k, lo..hi)
            .map_err(|e| e.to_string())?;
        let x_label = |x: &f64| {
            let t = origin + (x * unit as f64).round() as i64;
            let d = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
            if unit == super::HOUR {
                d.format("%H:%M").to_string()
            } else if t.rem_euclid(super::DAY) == 0 {
                d.format("%d %b").to_string()
            } else {
                d.format("%d %b %H:%M").to_string()
            }
        };
        let decimals = y_decimals(lo, hi, chart.percent);
        let y_label = |y: &f64| short(*y, chart.percent, decimals);
        ctx.configure_mesh()
            .disable_x_mesh()
            .bold_line_style(RGBColor(225, 228, 232))
            .light_line_style(TRANSPARENT)
            .axis_style(RGBColor(140, 140, 140))
            .x_labels(size.x_labels)
            .y_labels(6)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .x_desc("Time (UTC)")
            .y_desc(chart.unit.as_str())
            .label_style(("sans-serif", size.label))
            .axis_desc_style(("sans-serif", size.label))
            .draw()
            .map_err(|e| e.to_string())?;
        // Shaded periods under everything: a light wash of their colour,
        // whole buckets, clipped to the range.
        for sh in &chart.shades {
            let from = ((sh.from.max(span.from) - span.from) as f64 / step as f64).max(0.0);
            let to = ((sh.to.min(span.to) - span.from) as f64 / step as f64).min(n as f64);
            if to > from {
                let c = rgb(&sh.color);
                ctx.draw_series(std::iter::once(Rectangle::new(
                    [(at(from), lo), (at(to), hi)],
                    c.mix(0.18).filled(),
                )))
                .map_err(|e| e.to_string())?;
            }
        }
        // Threshold lines, dashed, labelled at the left end.
        for t in &chart.thresholds {
            let c = rgb(&t.color);
            let style = c.stroke_width(2);
            let dashes = (0..n * 2).step_by(2).map(|i| {
                let x0 = at(i as f64 / 2.0);
                let x1 = at((i as f64 + 1.0) / 2.0);
                PathElement::new(vec![(x0, t.value), (x1, t.value)], style)
            });
            ctx.draw_series(dashes).map_err(|e| e.to_string())?;
            ctx.draw_series(std::iter::once(Text::new(
                format!(" {}", t.label),
                (at(0.0), t.value + (hi - lo) * 0.01),
                ("sans-serif", size.note)
                    .into_font()
                    .color(&c)
                    .pos(Pos::new(HPos::Left, VPos::Bottom)),
            )))
            .map_err(|e| e.to_string())?;
        }
        let grey = RGBColor(90, 90, 90);
        // Marks first, so the series are drawn over them: the newest
        // point stays visible under a label at the right edge.
        // Changes in the same period share one mark (a restart changes
        // every map at once); the list under the chart names them all.
        let mut marks: Vec<(i64, Vec<&str>)> = Vec::new();
        for a in &chart.annotations {
            let bucket = (a.at - span.from).div_euclid(step);
            match marks.iter_mut().find(|(b, _)| *b == bucket) {
                Some((_, labels)) => labels.push(&a.label),
                None => marks.push((bucket, vec![&a.label])),
            }
        }
        for (row, (bucket, labels)) in marks.iter().enumerate() {
            let x = at(*bucket as f64 + 0.5);
            ctx.draw_series(std::iter::once(PathElement::new(
                vec![(x, lo), (x, hi)],
                grey.stroke_width(1),
            )))
            .map_err(|e| e.to_string())?;
            let text = match labels[..] {
                [one] => one.to_string(),
                _ => format!("{} state changes", labels.len()),
            };
            // Labels alternate between two rows so neighbours do not
            // overlap, and sit left of marks near the right edge.
            let y = hi - (hi - lo) * if row % 2 == 0 { 0.01 } else { 0.08 };
            let right = x > at(n as f64 * 0.7);
            let pos = Pos::new(if right { HPos::Right } else { HPos::Left }, VPos::Top);
            ctx.draw_series(std::iter::once(Text::new(
                if right {
                    format!("{text} ")
                } else {
                    format!(" {text}")
                },
                (x, y),
                ("sans-serif", size.note).into_font().color(&grey).pos(pos),
            )))
            .map_err(|e| e.to_string())?;
        }
        match chart.kind {
            Kind::Stacked => {
                let mut bars = Vec::new();
                for i in 0..buckets.len() {
                    let mut base = 0.0;
                    for s in &chart.series {
                        let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
                        if v > 0.0 {
                            let x = i as f64;
                            bars.push(Rectangle::new(
                                [(at(x + 0.12), base), (at(x + 0.88), base + v)],
                                rgb(&s.color).filled(),
                            ));
                            base += v;
                        }
                    }
                }
                ctx.draw_series(bars).map_err(|e| e.to_string())?;
            }
            Kind::Grouped => {
                let width = 0.76 / chart.series.len().max(1) as f64;
                let mut bars = Vec::new();
                for (j, s) in chart.series.iter().enumerate() {
                    for (i, v) in s.values.iter().enumerate() {
                        if let Some(v) = v.filter(|v| *v != 0.0) {
                            let x = i as f64 + 0.12 + j as f64 * width;
                            bars.push(Rectangle::new(
                                [(at(x), 0.0), (at(x + width), v)],
                                rgb(&s.color).filled(),
                            ));
                        }
                    }
                }
                ctx.draw_series(bars).map_err(|e| e.to_string())?;
            }
            Kind::Lines => {
                for s in &chart.series {
                    let color = rgb(&s.color);
                    // A line through each run of consecutive values; a dot
                    // on every value so lone points show too.
                    let mut run: Vec<(f64, f64)> = Vec::new();
                    let mut runs = Vec::new();
                    for (i, v) in s.values.iter().enumerate() {
                        match v {
                            Some(v) => run.push((at(i as f64 + 0.5), *v)),
                            None => runs.push(std::mem::take(&mut run)),
                        }
                    }
                    runs.push(run);
                    for r in runs.into_iter().filter(|r| r.len() > 1) {
                        ctx.draw_series(LineSeries::new(r, color.stroke_width(2)))
                            .map_err(|e| e.to_string())?;
                    }
                    // A dot per value when there are few periods; with
                    // many, only on values without a neighbour (which no
                    // line shows). Zeros never get one, so quiet periods
                    // do not clutter the axis.
                    let few = s.values.len() <= 62;
                    let has = |i: usize| s.values.get(i).copied().flatten().is_some();
                    let dots = s.values.iter().enumerate().filter_map(|(i, v)| {
                        v.filter(|v| *v != 0.0)
                            .filter(|_| few || !(i > 0 && has(i - 1) || has(i + 1)))
                            .map(|v| Circle::new((at(i as f64 + 0.5), v), 2, color.filled()))
                    });
                    ctx.draw_series(dots).map_err(|e| e.to_string())?;
                }
            }
        }
        let (xr, _) = ctx.plotting_area().get_pixel_range();
        plot_x = (xr.start, xr.end);
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(Drawn { svg, size, plot_x })
}

/// The values of bucket `i` in words: `2026-11-24 10:00 — Other: 3 · …`.
pub fn describe(chart: &Chart, i: usize) -> String {
    let t = chart.span.from + i as i64 * chart.span.step;
    let values = chart
        .series
        .iter()
        .filter_map(|s| {
            s.values
                .get(i)
                .copied()
                .flatten()
                .map(|v| format!("{}: {}", s.name, fmt_value(v, chart.percent)))
        })
        .collect::<Vec<_>>();
    format!(
        "{} — {}",
        fmt_bucket(t, chart.span.step),
        if values.is_empty() {
            "no data".to_string()
        } else {
            values.join(" · ")
        }
    )
}

/// The "Show data" table as HTML: a row per period with any value. Built
/// as one string because a week by hour for 20 maps is thousands of cells,
/// which as a view tree cost more to render than the rest of the page.
pub fn data_table(chart: &Chart) -> String {
    let mut html = String::from(r#"<table class="data compact"><thead><tr><th>Period (UTC)</th>"#);
    for s in &chart.series {
        html.push_str(&format!(r#"<th class="num">{}</th>"#, escape_html(&s.name)));
    }
    html.push_str("</tr></thead><tbody>");
    for (i, t) in chart.span.buckets().into_iter().enumerate() {
        let values: Vec<Option<f64>> = chart
            .series
            .iter()
            .map(|s| s.values.get(i).copied().flatten())
            .collect();
        if values.iter().all(Option::is_none) {
            continue;
        }
        html.push_str(&format!(
            r#"<tr><td class="nowrap">{}</td>"#,
            fmt_bucket(t, chart.span.step)
        ));
        for v in values {
            html.push_str(r#"<td class="num">"#);
            if let Some(v) = v {
                html.push_str(&escape_html(&fmt_value(v, chart.percent)));
            }
            html.push_str("</td>");
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// One chart: title, SVG, legend, a readout of the values under the
/// pointer (in the [`ChartPlot`] island), the data as a table and a CSV
/// download. A server component: plotters draws on the server only, and
/// the browser gets the SVG and the readout's words.
#[component]
pub fn ChartView(
    /// The chart.
    chart: Chart,
    /// Where the CSV download comes from (none: no download).
    #[prop(optional, into)]
    csv_href: Option<String>,
) -> impl IntoView {
    // Both drawings go to the page; the stylesheet shows the one that fits.
    let drawn = draw(&chart, WIDE).and_then(|wide| Ok((wide, draw(&chart, PHONE)?)));
    let n = chart.span.buckets().len();
    let points = chart
        .series
        .iter()
        .map(|s| s.values.iter().flatten().filter(|v| **v != 0.0).count())
        .sum::<usize>();
    let legend = chart
        .series
        .iter()
        .map(|s| {
            view! {
                <li>
                    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><rect width="12" height="12" fill=s.color.clone()/></svg>
                    " " {s.name.clone()}
                </li>
            }
        })
        .collect_view();
    // Thresholds and shaded periods in the legend too, once per label.
    let mut extra: Vec<(String, String, bool)> = chart
        .thresholds
        .iter()
        .map(|t| (t.label.clone(), t.color.clone(), true))
        .collect();
    for sh in &chart.shades {
        if !extra.iter().any(|(l, _, _)| *l == sh.label) {
            extra.push((sh.label.clone(), sh.color.clone(), false));
        }
    }
    let extra = extra
        .into_iter()
        .map(|(label, color, line)| {
            let mark = if line {
                view! { <line x1="0" y1="6" x2="12" y2="6" stroke=color stroke-width="2" stroke-dasharray="3 2"/> }.into_any()
            } else {
                view! { <rect width="12" height="12" fill=color fill-opacity="0.25"/> }.into_any()
            };
            view! {
                <li>
                    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">{mark}</svg>
                    " " {label}
                </li>
            }
        })
        .collect_view();
    let table = data_table(&chart);
    let empty = chart.is_empty();
    let file = format!("{}.csv", chart.key);
    // The chart's text alternative: its data table, named by `aria-details`.
    let data_id = format!("chart-data-{}", chart.key);
    view! {
        <figure class="chart" data-testid=format!("chart-{}", chart.key) data-points=points.to_string()>
            <figcaption>
                <h3>{chart.title.clone()}</h3>
                <p class="muted">{chart.caption.clone()}</p>
            </figcaption>
            {match drawn {
                Err(e) => view! { <p class="error">{format!("The chart could not be drawn: {e}")}</p> }.into_any(),
                Ok((wide, phone)) => {
                    let data_id = data_id.clone();
                    let readouts = (0..n).map(|i| describe(&chart, i)).collect::<Vec<_>>();
                    let label = format!("{}: {} non-zero values; the table under “Show data” has them all", chart.title, points);
                    let plots = vec![
                        (wide.size.width, wide.size.height, wide.plot_x.0, wide.plot_x.1),
                        (phone.size.width, phone.size.height, phone.plot_x.0, phone.plot_x.1),
                    ];
                    view! {
                        <ChartPlot plots=plots readouts=readouts>
                            <div class="chart-svg" role="img" aria-label=label.clone() aria-details=data_id.clone() inner_html=wide.svg></div>
                            <div class="chart-svg-phone" role="img" aria-label=label aria-details=data_id.clone() inner_html=phone.svg></div>
                            {empty.then(|| view! { <p class="chart-empty">"No data in this range."</p> })}
                        </ChartPlot>
                    }.into_any()
                }
            }}
            <ul class="legend">{legend}{extra}</ul>
            <div class="chart-actions">
                <details class="chart-data" id=data_id>
                    <summary>"Show data"</summary>
                    <div class="table-scroll" inner_html=table></div>
                </details>
                {csv_href.map(|href| view! { <a class="button small" href=href download=file>"Download CSV"</a> })}
            </div>
        </figure>
    }
}

/// The drawn chart with its pointer readout: a guide line over the bucket
/// under the pointer and its values in words below the chart. An island,
/// so the browser gets only this and the words for each bucket
/// (`readouts`, one per bucket, oldest first), never plotters.
#[island]
pub fn ChartPlot(
    /// Each drawing's width and height, and its plot area's left and right
    /// edge, in its SVG units: the wide one, then the phone's.
    plots: Vec<(u32, u32, i32, i32)>,
    /// [`describe`] of each bucket.
    readouts: Vec<String>,
    /// The SVGs, rendered by the server.
    children: Children,
) -> impl IntoView {
    let n = readouts.len().max(1);
    let hover = RwSignal::new(None::<usize>);
    let overlay = NodeRef::<leptos::html::Div>::new();
    // The drawing on screen is the one whose shape the overlay has (the
    // stylesheet shows one of them), and the pointer's place is read in
    // its units.
    let plots = StoredValue::new(plots);
    let plot = move || {
        let el = overlay.get()?;
        let (w, h) = (
            el.client_width().max(1) as f64,
            el.client_height().max(1) as f64,
        );
        let aspect = |p: &(u32, u32, i32, i32)| ((p.0 as f64 / p.1 as f64) - w / h).abs();
        let p = plots.with_value(|plots| {
            plots
                .iter()
                .min_by(|a, b| aspect(a).total_cmp(&aspect(b)))
                .copied()
        })?;
        Some((w, p))
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some((w, (width, _, left, right))) = plot() else {
            return;
        };
        let x = ev.offset_x() as f64 * width as f64 / w;
        let f = (x - left as f64) / (right - left).max(1) as f64;
        hover.set((0.0..1.0).contains(&f).then_some((f * n as f64) as usize));
    };
    let readout = move || hover.get().and_then(|i| readouts.get(i).cloned());
    let guide = move || {
        let i = hover.get()?;
        let (_, (width, _, left, right)) = plot()?;
        let x = left as f64 + (i as f64 + 0.5) / n as f64 * (right - left) as f64;
        Some(
            view! { <div class="chart-guide" style:left=format!("{:.2}%", x * 100.0 / width as f64)></div> },
        )
    };
    view! {
        <div class="chart-plot">
            {children()}
            {guide}
            <div class="chart-overlay" node_ref=overlay on:mousemove=on_move on:mouseleave=move |_| hover.set(None)></div>
        </div>
        <p class="chart-hover muted" aria-live="polite" data-testid="chart-hover">{readout}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trends::{Annotation, HOUR, Series, Span};

    fn chart(kind: Kind) -> Chart {
        Chart {
            key: "errors-by-category".into(),
            title: "Errors".into(),
            caption: String::new(),
            unit: "entries per hour".into(),
            percent: false,
            kind,
            span: Span {
                from: 1_795_000_000 / HOUR * HOUR,
                to: 1_795_000_000 / HOUR * HOUR + 24 * HOUR,
                step: HOUR,
            },
            series: vec![
                Series {
                    name: "Other".into(),
                    color: "#9c9c9c".into(),
                    values: (0..24).map(|i| (i % 3 == 0).then_some(i as f64)).collect(),
                },
                Series {
                    name: "Plug-in threw".into(),
                    color: "#e15759".into(),
                    values: (0..24).map(|_| Some(2.0)).collect(),
                },
            ],
            annotations: vec![Annotation {
                at: 1_795_000_000 / HOUR * HOUR + 5 * HOUR,
                label: "Customers V3 → paused".into(),
            }],
            thresholds: vec![],
            shades: vec![],
        }
    }

    #[test]
    fn y_labels_have_enough_decimals_to_differ() {
        let d = y_decimals(0.0, 0.25, true);
        assert_eq!(d, 2);
        let labels: Vec<String> = [0.05, 0.1, 0.15, 0.2, 0.25]
            .iter()
            .map(|v| short(*v, true, d))
            .collect();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(labels, unique, "{labels:?}");
        assert_eq!(y_decimals(0.0, 600.0, false), 0);
        assert_eq!(y_decimals(0.0, 60.0, true), 1);
    }

    #[test]
    fn charts_draw_to_svg_with_axes_bars_and_annotations() {
        let d = draw(&chart(Kind::Stacked), WIDE).unwrap();
        assert!(d.svg.starts_with("<svg"));
        assert!(d.svg.contains("entries per hour"), "y axis label");
        assert!(d.svg.contains("Time (UTC)"));
        assert!(d.svg.contains("Customers V3 → paused"));
        assert!(
            d.svg.contains("#E15759") || d.svg.contains("#e15759"),
            "category colour"
        );
        // 24 bars of one series and 7 of the other (its 0 draws nothing),
        // besides the background.
        assert_eq!(d.svg.matches("<rect").count() - 1, 31);
        assert!(d.plot_x.0 > 40 && d.plot_x.1 < WIDE.width as i32);
        let lines = draw(&chart(Kind::Lines), WIDE).unwrap();
        assert!(lines.svg.contains("<polyline"));
        assert_eq!(lines.svg.matches("<circle").count(), 31, "no dot on a zero");
    }

    #[test]
    fn the_phone_drawing_keeps_its_words_readable_at_a_phones_width() {
        let c = chart(Kind::Stacked);
        let (wide, phone) = (draw(&c, WIDE).unwrap(), draw(&c, PHONE).unwrap());
        assert!(
            phone.svg.contains("viewBox=\"0 0 360 280\""),
            "{}",
            &phone.svg[..200]
        );
        // Shown 330 px wide, as on a 390 px phone: the wide drawing's
        // words shrink to under 5 px, the phone's stay near 10.
        let sizes = |svg: &str| {
            svg.split("font-size=\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next()?.parse::<f64>().ok())
                .collect::<Vec<_>>()
        };
        let shown = |size: Size, units: f64| units * 330.0 / f64::from(size.width);
        let largest = sizes(&wide.svg).into_iter().fold(0.0, f64::max);
        let smallest = sizes(&phone.svg).into_iter().fold(f64::MAX, f64::min);
        assert!(shown(WIDE, largest) < 5.0, "{largest}");
        assert!(shown(PHONE, smallest) >= 9.5, "{smallest}");
        // The same chart, with fewer time labels.
        for text in ["Time (UTC)", "entries per hour", "Customers V3 → paused"] {
            assert!(phone.svg.contains(text), "{text}");
        }
        assert_eq!(
            phone.svg.matches("<rect").count(),
            wide.svg.matches("<rect").count()
        );
        let times = |svg: &str| {
            svg.lines()
                .filter(|l| l.len() == 5 && l.ends_with(":00"))
                .count()
        };
        assert!(times(&phone.svg) >= 3, "{}", times(&phone.svg));
        assert!(times(&phone.svg) < times(&wide.svg));
        assert!(phone.plot_x.0 > 30 && phone.plot_x.1 < PHONE.width as i32);
    }

    #[test]
    fn the_data_table_escapes_names_and_skips_empty_periods() {
        let mut c = chart(Kind::Lines);
        c.series[0].name = "<b>Other</b>".into();
        c.series[0].values = (0..24).map(|i| (i == 3).then_some(3.0)).collect();
        c.series[1].values = vec![None; 24];
        let html = data_table(&c);
        assert!(html.contains("<th class=\"num\">&lt;b&gt;Other&lt;/b&gt;</th>"));
        assert_eq!(html.matches("<tr>").count(), 2, "the head and one period");
        // One value, one dot.
        assert_eq!(draw(&c, WIDE).unwrap().svg.matches("<circle").count(), 1);
    }

    #[test]
    fn the_readout_names_each_value() {
        let c = chart(Kind::Stacked);
        assert_eq!(
            describe(&c, 3),
            format!(
                "{} — Other: 3 · Plug-in threw: 2",
                fmt_bucket(c.span.from + 3 * HOUR, HOUR)
            )
        );
        assert!(describe(&c, 1).ends_with("Plug-in threw: 2"));
        assert_eq!(
            (
                short(1500.0, false, 0),
                short(25_000.0, false, 0),
                short(2.0, false, 0)
            ),
            ("1.5k".into(), "25k".into(), "2".into())
        );
    }
}
