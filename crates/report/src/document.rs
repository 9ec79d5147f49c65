//! A report as a list of blocks (headings, paragraphs, tables, charts), written once by the
//! caller in the reader's language and rendered to HTML here and to PDF in `crate::pdf`, so the
//! two always say the same.

use crate::chart::{Chart, ChartError};

/// How a table column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    pub align: Align,
    /// Share of the table's width on paper, relative to the other columns.
    pub weight: f32,
}

impl Column {
    pub fn left(title: impl Into<String>, weight: f32) -> Column {
        Column {
            title: title.into(),
            align: Align::Left,
            weight,
        }
    }

    pub fn right(title: impl Into<String>, weight: f32) -> Column {
        Column {
            title: title.into(),
            align: Align::Right,
            weight,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The `id` of the HTML table, for tests and links.
    pub id: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Shown instead of an empty table.
    pub empty: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// A small print remark (how a figure is computed).
    Note(String),
    Table(Table),
    Chart(Chart),
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// BCP 47 tag of the language it is written in.
    pub lang: String,
    pub title: String,
    pub subtitle: String,
    pub blocks: Vec<Block>,
}

/// A table cell as the reader sees it: a cell that is a date in ISO form (`2026-11-30`) or a
/// month (`2026-11`) is written in the document's language, in the style of its title and
/// subtitle (2026年11月30日, 2026年11月; 30 November 2026, November 2026). Every other cell is
/// shown as given. The HTML and the PDF both show cells through this.
pub fn cell_text<'c>(lang: &str, cell: &'c str) -> std::borrow::Cow<'c, str> {
    use chrono::{Datelike as _, NaiveDate};
    use std::borrow::Cow;
    let chinese = lang.starts_with("zh");
    if !cell.is_ascii() {
        return Cow::Borrowed(cell);
    }
    if cell.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(cell, "%Y-%m-%d")
    {
        return Cow::Owned(if chinese {
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        } else {
            d.format("%-d %B %Y").to_string()
        });
    }
    if cell.len() == 7
        && let Ok(d) = NaiveDate::parse_from_str(&format!("{cell}-01"), "%Y-%m-%d")
    {
        return Cow::Owned(if chinese {
            format!("{}年{}月", d.year(), d.month())
        } else {
            d.format("%B %Y").to_string()
        });
    }
    Cow::Borrowed(cell)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The stylesheet of the stand-alone HTML file (the pages use the site's own).
const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif;color:#1f2328;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}\
.subtitle{color:#57606a}.note{color:#57606a;font-size:.85rem}\
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:1rem 0}figcaption{color:#57606a;font-size:.85rem}svg.chart{max-width:100%;height:auto}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}figure,tr{break-inside:avoid}}";

impl Document {
    /// The body of the report as an HTML fragment (an `<article>`), for a page of the site.
    pub fn html_fragment(&self) -> Result<String, ChartError> {
        let mut out = String::new();
        out.push_str("<article class=\"report\">\n");
        out.push_str(&format!("<h1>{}</h1>\n", escape(&self.title)));
        out.push_str(&format!(
            "<p class=\"subtitle\">{}</p>\n",
            escape(&self.subtitle)
        ));
        for block in &self.blocks {
            match block {
                Block::Heading(text) => out.push_str(&format!("<h2>{}</h2>\n", escape(text))),
                Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", escape(text))),
                Block::Note(text) => {
                    out.push_str(&format!("<p class=\"note hint\">{}</p>\n", escape(text)))
                }
                Block::Chart(chart) => {
                    out.push_str("<figure class=\"chart\">\n");
                    out.push_str(&chart.svg()?);
                    out.push_str(&format!(
                        "\n<figcaption>{}</figcaption>\n</figure>\n",
                        escape(chart.title())
                    ));
                }
                Block::Table(table) => table_html(&self.lang, table, &mut out),
            }
        }
        out.push_str("</article>\n");
        Ok(out)
    }

    /// A stand-alone HTML file: its own small stylesheet, the charts inline, nothing fetched.
    pub fn html_page(&self) -> Result<String, ChartError> {
        Ok(format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            escape(&self.lang),
            escape(&self.title),
            self.html_fragment()?
        ))
    }
}

fn table_html(lang: &str, table: &Table, out: &mut String) {
    if table.rows.is_empty() {
        out.push_str(&format!(
            "<p id=\"{}\" class=\"empty\">{}</p>\n",
            escape(&table.id),
            escape(&table.empty)
        ));
        return;
    }
    let class = |c: &crate::document::Column| match c.align {
        Align::Left => "",
        Align::Right => " class=\"num\"",
    };
    out.push_str(&format!(
        "<div class=\"table-wrap\"><table id=\"{}\">\n<thead><tr>",
        escape(&table.id)
    ));
    for c in &table.columns {
        out.push_str(&format!("<th{}>{}</th>", class(c), escape(&c.title)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let align = table.columns.get(i).map_or("", class);
            out.push_str(&format!(
                "<td{align}>{}</td>",
                escape(&cell_text(lang, cell))
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_tables_are_written_like_the_title() {
        assert_eq!(cell_text("zh-CN", "2026-11-30"), "2026年11月30日");
        assert_eq!(cell_text("zh-CN", "2026-01-05"), "2026年1月5日");
        assert_eq!(cell_text("zh-CN", "2026-11"), "2026年11月");
        assert_eq!(cell_text("en", "2026-11-30"), "30 November 2026");
        assert_eq!(cell_text("en", "2026-11"), "November 2026");
        for other in [
            "NH2026-11-30",
            "2026-13-01",
            "12",
            "—",
            "2026-1",
            "+2",
            "98.50%",
        ] {
            assert_eq!(cell_text("zh-CN", other), other);
        }
        let doc = Document {
            lang: "zh-CN".into(),
            title: "2026年11月 月报".into(),
            subtitle: String::new(),
            blocks: vec![Block::Table(Table {
                id: "overdue".into(),
                columns: vec![Column::left("到期日", 1.0)],
                rows: vec![vec!["2026-11-30".into()]],
                empty: String::new(),
            })],
        };
        let page = doc.html_fragment().expect("rendered");
        assert!(page.contains("<td>2026年11月30日</td>"), "{page}");
        assert!(!page.contains("2026-11-30"), "{page}");
    }

    #[test]
    fn every_text_is_escaped_and_the_page_stands_alone() {
        let doc = Document {
            lang: "zh-CN".into(),
            title: "月报 <2026>".into(),
            subtitle: "A & B".into(),
            blocks: vec![
                Block::Heading("一、<指标>".into()),
                Block::Table(Table {
                    id: "figures".into(),
                    columns: vec![Column::left("指标", 2.0), Column::right("数值", 1.0)],
                    rows: vec![vec!["收件数 <script>".into(), "12".into()]],
                    empty: "无".into(),
                }),
                Block::Table(Table {
                    id: "none".into(),
                    columns: vec![Column::left("x", 1.0)],
                    rows: vec![],
                    empty: "本月无超期件。".into(),
                }),
            ],
        };
        let page = doc.html_page().expect("rendered");
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<html lang=\"zh-CN\">"));
        assert!(page.contains("<title>月报 &lt;2026&gt;</title>"));
        assert!(page.contains("<h2>一、&lt;指标&gt;</h2>"));
        assert!(page.contains("<td>收件数 &lt;script&gt;</td><td class=\"num\">12</td>"));
        assert!(page.contains("<p id=\"none\" class=\"empty\">本月无超期件。</p>"));
        assert!(!page.contains("<script>"));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}
