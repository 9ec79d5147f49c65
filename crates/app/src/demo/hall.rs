//! The demo's three-level network: the county hall with its windows and sub-centres, the 18
//! township (street) centres and the 393 village and community points of Ninghai, from the
//! division codes in `data/network/`.

use onewindow_domain::catalogue::Level;
use onewindow_domain::hall::WindowKind;

use crate::actor::Actor;
use crate::admin::{Centre, Window};
use crate::error::AppError;
use crate::hall::HallImport;
use crate::service::Service;

const TOWNSHIPS_CSV: &str = include_str!("../../../../data/network/ninghai-330226-townships.csv");
const VILLAGES_CSV: &str = include_str!("../../../../data/network/ninghai-330226-villages.csv");

/// The county's division code (GB/T 2260).
pub const COUNTY_DIVISION: &str = "330226";

/// The townships' names in pinyin, by division code: the English names and the centres' codes.
const PINYIN: [(&str, &str, &str); 18] = [
    ("330226001", "yuelong", "Yuelong Subdistrict"),
    ("330226002", "taoyuan", "Taoyuan Subdistrict"),
    ("330226003", "meilin", "Meilin Subdistrict"),
    ("330226004", "qiaotouhu", "Qiaotouhu Subdistrict"),
    ("330226101", "changjie", "Changjie Town"),
    ("330226102", "liyang", "Liyang Town"),
    ("330226104", "yishi", "Yishi Town"),
    ("330226105", "chalu", "Chalu Town"),
    ("330226106", "qiantong", "Qiantong Town"),
    ("330226107", "sangzhou", "Sangzhou Town"),
    ("330226108", "huangtan", "Huangtan Town"),
    ("330226109", "dajiahe", "Dajiahe Town"),
    ("330226110", "qiangjiao", "Qiangjiao Town"),
    ("330226111", "xidian", "Xidian Town"),
    ("330226112", "shenzhen", "Shenzhen Town"),
    ("330226200", "huchen", "Huchen Township"),
    ("330226201", "chayuan", "Chayuan Township"),
    ("330226202", "yuexi", "Yuexi Township"),
];

/// The code of the county hall.
pub const COUNTY_HALL: &str = "county-hall";

/// The county hall's three sub-centres (分中心): code, name, English name, the departments whose
/// independent windows sit there.
const SUB_CENTRES: [(&str, &str, &str, &[&str]); 3] = [
    (
        "county-hall-realestate",
        "宁海县不动产登记分中心",
        "Real Estate Registration Sub-centre",
        &["BDC", "SWJ", "ZJJ"],
    ),
    (
        "county-hall-police",
        "宁海县公安服务分中心",
        "Public Security Service Sub-centre",
        &["GAJ", "CRJ", "JTJ"],
    ),
    (
        "county-hall-social",
        "宁海县社会事务分中心",
        "Social Affairs Sub-centre",
        &["RSJ", "YBJ", "GJJ", "MZJ"],
    ),
];

/// The six comprehensive service areas of the county hall (综合服务区) and how many of its 11
/// comprehensive windows each has.
const AREAS: [(&str, u32); 6] = [
    ("投资项目", 2),
    ("商事登记", 3),
    ("不动产登记", 2),
    ("公安服务", 1),
    ("出入境", 1),
    ("社会民生", 2),
];

/// The departments of the county hall's 20 independent windows (独立窗口), in the order they are
/// numbered: the businesses with a queue of their own.
const INDEPENDENT: [&str; 20] = [
    "CRJ", "CRJ", "CRJ", "GAJ", "GAJ", "GAJ", "BDC", "BDC", "BDC", "SWJ", "SWJ", "SWJ", "GJJ",
    "GJJ", "YBJ", "YBJ", "RSJ", "RSJ", "JTJ", "GDGS",
];

/// Reads the rows of a division file: code, name, and the parent's code (the townships' file has
/// none).
fn division_rows(csv: &str, parent_column: Option<usize>) -> Vec<(String, String, String)> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
            let at = |i: usize| fields.get(i).copied().unwrap_or_default().to_string();
            (at(0), at(1), parent_column.map(at).unwrap_or_default())
        })
        .collect()
}

/// A village committee's or a community's short name as the point is called: `岔路村委会` →
/// `岔路村`, `华联社区居委会` → `华联社区`.
fn village_name(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("村委会") {
        format!("{stem}村")
    } else if let Some(stem) = name.strip_suffix("社区居委会") {
        format!("{stem}社区")
    } else if let Some(stem) = name.strip_suffix("居委会") {
        format!("{stem}社区")
    } else {
        name.to_string()
    }
}

/// The code of a township's centre.
pub fn township_centre(division: &str) -> Option<String> {
    PINYIN
        .iter()
        .find(|(code, _, _)| *code == division)
        .map(|(_, pinyin, _)| format!("township-{pinyin}"))
}

/// The demo's service centres: the county hall and its sub-centres, the townships' centres and the
/// villages' points, each under its parent.
pub fn demo_centres() -> Vec<Centre> {
    let phone = "0574-12345".to_string();
    let mut centres = vec![Centre {
        code: COUNTY_HALL.into(),
        name: "宁海县行政服务中心".into(),
        name_en: "Ninghai County Administrative Service Centre".into(),
        address: "宁海县跃龙街道气象北路".into(),
        phone: phone.clone(),
        level: Level::County,
        division: COUNTY_DIVISION.into(),
        ..Centre::default()
    }];
    for (code, name, name_en, _) in SUB_CENTRES {
        centres.push(Centre {
            code: code.into(),
            name: name.into(),
            name_en: name_en.into(),
            address: "宁海县跃龙街道".into(),
            phone: phone.clone(),
            level: Level::County,
            parent: COUNTY_HALL.into(),
            division: COUNTY_DIVISION.into(),
            ..Centre::default()
        });
    }
    let townships = division_rows(TOWNSHIPS_CSV, None);
    for (division, name, _) in &townships {
        let Some(code) = township_centre(division) else {
            continue;
        };
        let english = PINYIN
            .iter()
            .find(|(d, _, _)| d == division)
            .map_or("", |(_, _, e)| e);
        centres.push(Centre {
            code,
            name: format!("{name}便民服务中心"),
            name_en: format!("{english} Service Centre"),
            address: format!("宁海县{name}"),
            phone: phone.clone(),
            level: Level::Township,
            parent: COUNTY_HALL.into(),
            division: division.clone(),
            ..Centre::default()
        });
    }
    for (division, name, township) in division_rows(VILLAGES_CSV, Some(2)) {
        let Some(parent) = township_centre(&township) else {
            continue;
        };
        let (township_name, english) = townships
            .iter()
            .find(|(d, _, _)| *d == township)
            .map(|(_, n, _)| n.clone())
            .zip(PINYIN.iter().find(|(d, _, _)| *d == township))
            .map_or((String::new(), ""), |(n, (_, _, e))| (n, *e));
        let short = village_name(&name);
        centres.push(Centre {
            code: format!("village-{division}"),
            name: format!("{township_name}{short}代办点"),
            name_en: format!("{english} village point {division}"),
            address: format!("宁海县{township_name}{short}"),
            phone: phone.clone(),
            level: Level::Village,
            parent,
            division,
            // Village points open in the mornings and by arrangement.
            opens: "08:30".into(),
            closes: "11:30".into(),
        });
    }
    centres
}

/// The demo's windows: the county hall's 11 comprehensive (by area), 34 departmental and 20
/// independent windows; each sub-centre's windows for its departments; two at every township's
/// centre and one at every village point, all comprehensive.
pub fn demo_windows(departments: &[String], centres: &[Centre]) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut n = 0;
    for (area, count) in AREAS {
        for _ in 0..count {
            n += 1;
            windows.push(Window {
                centre: COUNTY_HALL.into(),
                code: format!("{n:02}"),
                name: format!("综合受理窗口 {n:02}（{area}）"),
                kind: WindowKind::Comprehensive,
                ..Window::default()
            });
        }
    }
    // 34 departmental windows: one for each department, a second for the busiest.
    let mut departmental: Vec<&String> = departments.iter().collect();
    if let Some(busiest) = departments.iter().find(|d| *d == "SCJGJ") {
        departmental.push(busiest);
    }
    for (i, department) in departmental.iter().take(34).enumerate() {
        windows.push(Window {
            centre: COUNTY_HALL.into(),
            code: format!("D{:02}", i + 1),
            name: format!("部门窗口 D{:02}", i + 1),
            departments: vec![(*department).clone()],
            kind: WindowKind::Departmental,
            ..Window::default()
        });
    }
    for (i, department) in INDEPENDENT.iter().enumerate() {
        if !departments.iter().any(|d| d == department) {
            continue;
        }
        windows.push(Window {
            centre: COUNTY_HALL.into(),
            code: format!("I{:02}", i + 1),
            name: format!("独立窗口 I{:02}", i + 1),
            departments: vec![(*department).to_string()],
            kind: WindowKind::Independent,
            ..Window::default()
        });
    }
    for (code, _, _, served) in SUB_CENTRES {
        windows.push(Window {
            centre: code.into(),
            code: "01".into(),
            name: "综合受理窗口 01".into(),
            ..Window::default()
        });
        for (i, department) in served.iter().enumerate() {
            if departments.iter().any(|d| d == department) {
                windows.push(Window {
                    centre: code.into(),
                    code: format!("D{:02}", i + 1),
                    name: format!("部门窗口 D{:02}", i + 1),
                    departments: vec![(*department).to_string()],
                    kind: WindowKind::Departmental,
                    ..Window::default()
                });
            }
        }
    }
    for centre in centres {
        let (count, label) = match centre.level {
            Level::County => continue,
            Level::Township => (2, "便民窗口"),
            Level::Village => (1, "代办窗口"),
        };
        for k in 1..=count {
            windows.push(Window {
                centre: centre.code.clone(),
                code: format!("{k:02}"),
                name: format!("{label} {k:02}"),
                ..Window::default()
            });
        }
    }
    windows
}

impl Service {
    /// Loads the demo network into a store that has no centre yet, in one import.
    pub async fn seed_demo_hall(&self) -> Result<(), AppError> {
        if !self.centres().await?.is_empty() {
            return Ok(());
        }
        let actor = Actor::command_line("demo");
        let departments: Vec<String> = self
            .departments()
            .await?
            .into_iter()
            .map(|d| d.code)
            .collect();
        let centres = demo_centres();
        let windows = demo_windows(&departments, &centres);
        self.import_hall(&actor, HallImport { centres, windows })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_is_ninghais() {
        let centres = demo_centres();
        let count = |level: Level| centres.iter().filter(|c| c.level == level).count();
        assert_eq!(count(Level::County), 4);
        assert_eq!(count(Level::Township), 18);
        assert_eq!(count(Level::Village), 393);
        // Every village point hangs under a township's centre, every township under the hall.
        for c in &centres {
            let parent = centres.iter().find(|p| p.code == c.parent);
            match c.level {
                Level::Village => assert_eq!(parent.map(|p| p.level), Some(Level::Township)),
                Level::Township => assert_eq!(c.parent, COUNTY_HALL),
                Level::County => {}
            }
        }
        assert!(centres.iter().any(|c| c.name == "前童镇鹿山村代办点"));
    }

    #[test]
    fn the_hall_has_the_seeds_windows() {
        let departments: Vec<String> = crate::demo::catalogue::ninghai_catalogue()
            .expect("the catalogue parses")
            .departments
            .iter()
            .map(|d| d.code.clone())
            .collect();
        let windows = demo_windows(&departments, &demo_centres());
        let at_hall = |kind: WindowKind| {
            windows
                .iter()
                .filter(|w| w.centre == COUNTY_HALL && w.kind == kind)
                .count()
        };
        assert_eq!(at_hall(WindowKind::Comprehensive), 11);
        assert_eq!(at_hall(WindowKind::Departmental), 34);
        assert_eq!(at_hall(WindowKind::Independent), 20);
    }
}
