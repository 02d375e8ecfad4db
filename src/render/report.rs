//! A report ready to deliver: the comparison, its verdicts, and its figures (each chart
//! described and drawn once), rendered to markdown however its images end up linked: files
//! next to it, hosted URLs, inline mermaid, or none.

use crate::ci::Machine;
use crate::diff::Comparison;
use crate::render::chart::ChartOptions;
use crate::render::draw::DrawError;
use crate::render::markdown::{self, Counts, Detail, ReportContext};
use crate::render::plots::{self, Asset, Figure, Links};
use crate::render::{Revision, html};
use crate::verdict::Judgement;

/// What a report says about itself, decided before it is rendered.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Title.
    pub title: String,
    /// Report id: one sticky report per id.
    pub id: String,
    /// How the base is named.
    pub base: Revision,
    /// How the head is named.
    pub head: Revision,
    /// The machine the run was made on, when known (the footer shows it).
    pub machine: Option<Machine>,
    /// Chart size.
    pub chart_size: (u32, u32),
    /// Whether charts are drawn to PNG (not when they can only be mermaid or nothing).
    pub draw: bool,
}

/// A rendered report: everything but the links of its images.
#[derive(Debug)]
pub struct Report<'a> {
    /// The comparison.
    pub comparison: &'a Comparison,
    /// Its verdicts.
    pub judgement: &'a Judgement,
    /// Title.
    pub title: String,
    /// Report id.
    pub id: String,
    /// Base revision.
    pub base: Revision,
    /// Head revision.
    pub head: Revision,
    machine: Option<Machine>,
    /// Chart settings.
    pub charts: ChartOptions,
    /// The plots, described and drawn.
    pub figures: Vec<Figure>,
}

impl<'a> Report<'a> {
    /// Describes every plot and draws every chart, once.
    pub fn new(
        comparison: &'a Comparison,
        judgement: &'a Judgement,
        settings: Settings,
    ) -> Result<Report<'a>, DrawError> {
        let Settings {
            title,
            id,
            base,
            head,
            machine,
            chart_size: (width, height),
            draw,
        } = settings;
        let charts = ChartOptions {
            width,
            height,
            base_label: base.legend("base"),
            head_label: head.legend("head"),
            ..ChartOptions::default()
        };
        let figures = plots::figures(&comparison.plots, &charts, draw)?;
        Ok(Report {
            comparison,
            judgement,
            title,
            id,
            base,
            head,
            machine,
            charts,
            figures,
        })
    }

    /// The markdown at a level of detail, its images linked as `links` says;
    /// `full_report` is where a shortened report points to.
    pub fn markdown(&self, links: Links<'_>, detail: Detail, full_report: Option<&str>) -> String {
        markdown::report_at(
            self.comparison,
            &ReportContext {
                title: &self.title,
                id: &self.id,
                base: &self.base,
                head: &self.head,
                machine: self.machine.as_ref(),
                figures: &self.figures,
                links,
                charts: &self.charts,
                full_report,
                judgement: self.judgement,
            },
            detail,
        )
    }

    /// The local preview page of a markdown rendering of this report.
    pub fn html(&self, markdown: &str) -> String {
        html::page(&self.title, markdown)
    }

    /// Every image file the figures link.
    pub fn assets(&self) -> Vec<Asset> {
        plots::assets(&self.figures)
    }

    /// How many metrics changed, improved, regressed...
    pub fn counts(&self) -> Counts {
        Counts::of(self.comparison, self.judgement)
    }

    /// The number of rows a summary table of changed metrics can hold.
    pub fn changed_metrics(&self) -> usize {
        markdown::changed_metrics(self.judgement)
    }
}
