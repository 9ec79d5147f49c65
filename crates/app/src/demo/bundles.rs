//! The Ninghai demo's joint-approval bundles: the homestay of the seed (five departments, the
//! public security window leads), real estate registration (housing, tax and registry in one
//! window), the seed's sixteen industries with joint standards, and the joint completion
//! acceptance of construction projects.
//!
//! Members are named by their catalogue names, because the demo's item codes are generated.

use onewindow_domain::bundle::{Bundle, BundleMember};
use onewindow_domain::catalogue::PublishedItem;
use onewindow_store::bundles as bundle_rows;
use onewindow_store::catalogue as catalogue_rows;

use crate::accounts::Actor;
use crate::error::AppError;
use crate::service::Service;

/// One member: the catalogue name, the members (by position) it waits for, whether its denial
/// denies the bundle, and the countersigns it needs.
struct M(&'static str, &'static [usize], bool, u32);

struct Spec {
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    description: &'static str,
    lead: &'static str,
    lead_window: &'static str,
    promised_days: u32,
    members: &'static [M],
}

const FIRE: &str = "公众聚集场所投入使用、营业前消防安全检查（新办）";
const HEALTH: &str = "公共场所卫生许可（新办）";
const FOOD: &str = "食品经营许可（新办）";
const HOTEL: &str = "旅馆业特种行业许可证核发（新办）";
const DISCHARGE: &str = "城镇污水排入排水管网许可（新办）";
const EIA: &str = "建设项目环境影响登记表备案";
const POLLUTION: &str = "排污许可证核发（新办）";
const SOLE_TRADER: &str = "个体工商户注册登记";
const COMPANY: &str = "有限责任公司设立登记";

const SPECS: &[Spec] = &[
    Spec {
        code: "LB-MINSU",
        name: "开办民宿",
        name_en: "Open a homestay",
        description: "我要开民宿：特种行业、消防、环保、卫生、食品经营五个部门的许可，在公安窗口一次受理、一次领取。",
        lead: "GAJ",
        lead_window: "公安窗口",
        promised_days: 15,
        members: &[
            M(HOTEL, &[], true, 0),
            M(FIRE, &[], false, 2),
            M(POLLUTION, &[], false, 0),
            M(HEALTH, &[], false, 0),
            M(FOOD, &[], false, 0),
        ],
    },
    Spec {
        code: "LB-BDC-ZY",
        name: "二手房买卖登记",
        name_en: "Register the sale of a home",
        description: "存量房买卖：网签备案、税费申报、转移登记在不动产窗口一窗办理。",
        lead: "BDC",
        lead_window: "不动产登记窗口",
        promised_days: 5,
        members: &[
            M("存量房交易合同网签备案", &[], true, 0),
            M("存量房交易税费申报", &[0], true, 0),
            M("国有建设用地使用权及房屋所有权转移登记", &[1], true, 0),
        ],
    },
    Spec {
        code: "LB-JUNGONG",
        name: "工程建设项目联合竣工验收",
        name_en: "Joint completion acceptance of a construction project",
        description: "竣工后一次申请：规划核实、消防验收、竣工验收备案由住建窗口统一受理，联合测绘成果共享。",
        lead: "ZJJ",
        lead_window: "住建窗口",
        promised_days: 10,
        members: &[
            M("建设工程规划核实", &[], true, 0),
            M("建设工程消防验收", &[], true, 2),
            M("建设工程竣工验收备案", &[0, 1], true, 0),
        ],
    },
    Spec {
        code: "LB-YUSHI",
        name: "开办浴室",
        name_en: "Open a bath house",
        description: "浴室行业联办：营业执照、卫生许可、消防检查、排水许可。",
        lead: "WJJ",
        lead_window: "卫生健康窗口",
        promised_days: 15,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(HEALTH, &[0], true, 0),
            M(FIRE, &[0], false, 0),
            M(DISCHARGE, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-JDCWX",
        name: "开办一类机动车维修企业",
        name_en: "Open a class-I motor vehicle repair shop",
        description: "一类机动车维修行业联办：公司设立、维修经营许可、环评登记、排水许可。",
        lead: "JTJ",
        lead_window: "交通运输窗口",
        promised_days: 20,
        members: &[
            M(COMPANY, &[], true, 0),
            M("机动车维修经营许可（一类）", &[0], true, 2),
            M(EIA, &[0], false, 0),
            M(DISCHARGE, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-YUNSHU",
        name: "开办道路货物运输企业",
        name_en: "Open a road freight company",
        description: "运输行业联办：公司设立、道路货物运输经营许可、税务登记。",
        lead: "JTJ",
        lead_window: "交通运输窗口",
        promised_days: 15,
        members: &[
            M(COMPANY, &[], true, 0),
            M("道路货物运输经营许可（新办）", &[0], true, 0),
            M("税务登记（设立）", &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-BINGUAN",
        name: "开办宾馆",
        name_en: "Open a hotel",
        description: "宾馆行业联办：公司设立、特种行业许可、消防检查、卫生许可、食品经营许可。",
        lead: "GAJ",
        lead_window: "公安窗口",
        promised_days: 20,
        members: &[
            M(COMPANY, &[], true, 0),
            M(HOTEL, &[0], true, 0),
            M(FIRE, &[0], false, 2),
            M(HEALTH, &[0], false, 0),
            M(FOOD, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-CANYIN",
        name: "开办中小餐饮店",
        name_en: "Open a small restaurant",
        description: "中小餐饮行业联办：个体工商户登记、食品经营许可、消防检查、排水许可。",
        lead: "SCJGJ",
        lead_window: "市场监管窗口",
        promised_days: 10,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(FOOD, &[0], true, 0),
            M(FIRE, &[0], false, 0),
            M(DISCHARGE, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-YULE",
        name: "开办文化娱乐场所",
        name_en: "Open an entertainment venue",
        description: "文化娱乐行业联办：娱乐场所经营许可、消防检查、卫生许可、娱乐场所备案。",
        lead: "WGLTJ",
        lead_window: "文广旅体窗口",
        promised_days: 20,
        members: &[
            M("娱乐场所经营许可（新办）", &[], true, 0),
            M(FIRE, &[], false, 2),
            M(HEALTH, &[], false, 0),
            M("娱乐场所备案", &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-WEIXING",
        name: "境外卫星电视接收设施设置",
        name_en: "Set up satellite TV reception",
        description: "境外卫星电视行业联办：设置许可与安装许可一次办理。",
        lead: "WGLTJ",
        lead_window: "文广旅体窗口",
        promised_days: 15,
        members: &[
            M("卫星电视广播地面接收设施设置许可", &[], true, 0),
            M("卫星电视广播地面接收设施安装许可", &[0], true, 0),
        ],
    },
    Spec {
        code: "LB-CHAOSHI",
        name: "开办大型超市",
        name_en: "Open a large supermarket",
        description: "大型超市行业联办：公司设立、食品经营许可、消防检查、烟草零售许可、酒类流通备案。",
        lead: "SCJGJ",
        lead_window: "市场监管窗口",
        promised_days: 20,
        members: &[
            M(COMPANY, &[], true, 0),
            M(FOOD, &[0], false, 0),
            M(FIRE, &[0], true, 2),
            M("烟草专卖零售许可（新办）", &[0], false, 0),
            M("酒类流通备案", &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-DIANYING",
        name: "开办电影院",
        name_en: "Open a cinema",
        description: "电影放映行业联办：电影放映单位设立、消防检查、卫生许可。",
        lead: "WGLTJ",
        lead_window: "文广旅体窗口",
        promised_days: 20,
        members: &[
            M("电影放映单位设立（新办）", &[], true, 0),
            M(FIRE, &[], true, 2),
            M(HEALTH, &[], false, 0),
        ],
    },
    Spec {
        code: "LB-YOUYONG",
        name: "开办游泳场所",
        name_en: "Open a swimming pool",
        description: "游泳池行业联办：高危险性体育项目经营许可、卫生许可、消防检查。",
        lead: "WGLTJ",
        lead_window: "文广旅体窗口",
        promised_days: 20,
        members: &[
            M("高危险性体育项目经营许可（游泳）", &[], true, 2),
            M(HEALTH, &[], true, 0),
            M(FIRE, &[], false, 0),
        ],
    },
    Spec {
        code: "LB-QICHEMEIRONG",
        name: "开办汽车美容店",
        name_en: "Open a car-care shop",
        description: "汽车美容行业联办：个体工商户登记、排水许可、环评登记。",
        lead: "SCJGJ",
        lead_window: "市场监管窗口",
        promised_days: 10,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(DISCHARGE, &[0], true, 0),
            M(EIA, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-NONGJIALE",
        name: "开办农家乐",
        name_en: "Open a farm stay",
        description: "农家乐行业联办：个体工商户登记、食品经营许可、卫生许可、消防检查。",
        lead: "SCJGJ",
        lead_window: "市场监管窗口",
        promised_days: 15,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(FOOD, &[0], true, 0),
            M(HEALTH, &[0], false, 0),
            M(FIRE, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-LVGUAN",
        name: "开办小旅馆",
        name_en: "Open a guest house",
        description: "旅馆行业联办：个体工商户登记、特种行业许可、消防检查、卫生许可。",
        lead: "GAJ",
        lead_window: "公安窗口",
        promised_days: 15,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(HOTEL, &[0], true, 0),
            M(FIRE, &[0], false, 0),
            M(HEALTH, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-MEIFA",
        name: "开办美容美发店",
        name_en: "Open a hair salon",
        description: "美发行业联办：个体工商户登记、公共场所卫生许可。",
        lead: "WJJ",
        lead_window: "卫生健康窗口",
        promised_days: 10,
        members: &[M(SOLE_TRADER, &[], true, 0), M(HEALTH, &[0], true, 0)],
    },
    Spec {
        code: "LB-KAFEI",
        name: "开办咖啡馆",
        name_en: "Open a café",
        description: "咖啡馆行业联办：个体工商户登记、食品经营许可、卫生许可。",
        lead: "SCJGJ",
        lead_window: "市场监管窗口",
        promised_days: 10,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(FOOD, &[0], true, 0),
            M(HEALTH, &[0], false, 0),
        ],
    },
    Spec {
        code: "LB-ZUYU",
        name: "开办足浴店",
        name_en: "Open a foot spa",
        description: "足浴行业联办：个体工商户登记、卫生许可、消防检查。",
        lead: "WJJ",
        lead_window: "卫生健康窗口",
        promised_days: 10,
        members: &[
            M(SOLE_TRADER, &[], true, 0),
            M(HEALTH, &[0], true, 0),
            M(FIRE, &[0], false, 0),
        ],
    },
];

/// The demo bundles over the published `items`. A member whose item is missing makes the
/// bundle name an unknown code, which publishing refuses: the demo catalogue must hold them all.
pub fn ninghai_bundles(items: &[PublishedItem]) -> Vec<Bundle> {
    let code_of = |name: &str| {
        items
            .iter()
            .find(|i| i.item.name == name)
            .map_or_else(|| format!("missing:{name}"), |i| i.item.code.clone())
    };
    SPECS
        .iter()
        .map(|spec| {
            let codes: Vec<String> = spec.members.iter().map(|m| code_of(m.0)).collect();
            Bundle {
                code: spec.code.into(),
                name: spec.name.into(),
                name_en: spec.name_en.into(),
                description: spec.description.into(),
                lead_department: spec.lead.into(),
                lead_window: spec.lead_window.into(),
                promised_days: spec.promised_days,
                members: spec
                    .members
                    .iter()
                    .zip(&codes)
                    .map(|(m, code)| BundleMember {
                        item_code: code.clone(),
                        after: m.1.iter().map(|i| codes[*i].clone()).collect(),
                        essential: m.2,
                        countersign: m.3,
                    })
                    .collect(),
            }
        })
        .collect()
}

impl Service {
    /// Publishes the demo bundles and creates the joint staff accounts, once: a store that
    /// already has bundles is left as it is. Returns the number of bundles published.
    pub async fn seed_demo_bundles(&self) -> Result<usize, AppError> {
        if !bundle_rows::list(self.store().readers()).await?.is_empty() {
            return Ok(0);
        }
        let actor = Actor::command_line("demo");
        let items = catalogue_rows::all_items(self.store().readers()).await?;
        let bundles = ninghai_bundles(&items);
        let count = bundles.len();
        for bundle in bundles {
            self.publish_bundle(&actor, bundle).await?;
        }
        let existing: Vec<String> = self
            .users(&actor)
            .await?
            .into_iter()
            .map(|u| u.username)
            .collect();
        for account in super::accounts::demo_joint_staff() {
            if existing.iter().any(|u| u == account.username) {
                continue;
            }
            self.create_user(
                &actor,
                crate::accounts::NewUser {
                    username: account.username.into(),
                    display_name: account.display_name.into(),
                    password: account.password.into(),
                    identity: None,
                    phone: None,
                    posts: account.posts.clone(),
                    may_reveal_personal_data: false,
                },
            )
            .await?;
        }
        Ok(count)
    }
}
