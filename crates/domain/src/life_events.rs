//! Life events (主题服务 / 生活事件): the moments of a life or of a business for which people
//! come to the centre, by which the portal lets them browse the catalogue ("I am having a baby",
//! "I am opening a shop") instead of by department.
//!
//! An item belongs to every event one of whose keywords occurs in its name, unless one of the
//! event's exclusions does too (机动车驾驶证 is travel, 机动车维修经营许可 is running a business).
//! The rule reads only the item's name, so it holds for any county's catalogue whatever its
//! department codes; an item can belong to several events or to none.

use serde::{Deserialize, Serialize};

use crate::catalogue::Item;

/// A life event of a person or an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LifeEvent {
    /// 出生
    Birth,
    /// 入学
    Schooling,
    /// 就业
    Employment,
    /// 婚育
    MarriageChildren,
    /// 住房
    Housing,
    /// 出行
    Travel,
    /// 开办企业
    StartBusiness,
    /// 经营
    RunBusiness,
    /// 工程建设
    Construction,
    /// 社保医疗
    SocialHealth,
    /// 退休养老
    Retirement,
    /// 身后事
    AfterDeath,
}

/// Which names belong to an event: one of `any` and none of `none`, or else one word of each group
/// of `all` (an organisation that changes or closes runs a business; one that is founded starts
/// one). An event may have several rules.
struct Rule {
    event: LifeEvent,
    any: &'static [&'static str],
    none: &'static [&'static str],
    all: &'static [&'static [&'static str]],
}

/// Names of an institution's licence, not of a person's event.
const INSTITUTIONS: &[&str] = &[
    "机构",
    "执业许可",
    "经营许可",
    "技术服务",
    "技术考核",
    "单位",
];

/// The steps of founding an enterprise or an organisation (开办企业: name, registration, seal,
/// tax, invoices, social insurance, the small food businesses' registrations).
const FOUNDING: &[&str] = &[
    "设立",
    "成立登记",
    "企业名称",
    "个体工商户注册",
    "个体工商户转型",
    "营业执照",
    "税务登记",
    "发票领用",
    "一般纳税人登记",
    "公章刻制备案",
    "缴存登记",
    "社会保险登记",
    "小餐饮店登记",
    "小食杂店登记",
    "食品小作坊登记",
    "食品摊贩登记",
    "对外贸易经营者备案",
    "一次性创业补贴",
    "创业担保贷款",
];

/// Sub-items that change, renew or close what exists.
const CHANGES: &[&str] = &[
    "变更", "注销", "终止", "缴销", "延续", "换发", "补领", "补办", "迁移", "修改",
];

/// Organisations other than enterprises that are founded, changed and closed like them.
const ORGANISATIONS: &[&str] = &[
    "社会团体",
    "民办非企业",
    "幼儿园",
    "民办学校",
    "法律服务所",
    "职业培训学校",
    "文艺表演团体",
    "电影放映单位",
];

const RULES: &[Rule] = &[
    Rule {
        event: LifeEvent::Birth,
        any: &[
            "出生",
            "新生儿",
            "生育登记",
            "生育保险",
            "预防接种",
            "病残儿",
        ],
        none: INSTITUTIONS,
        all: &[],
    },
    Rule {
        event: LifeEvent::Schooling,
        any: &[
            "学生",
            "入学",
            "转学",
            "休学",
            "学历",
            "普通话",
            "助学",
            "校车",
        ],
        none: &[],
        all: &[],
    },
    Rule {
        event: LifeEvent::Employment,
        any: &[
            "就业",
            "失业",
            "创业",
            "职业技能",
            "职业资格",
            "专业技术资格",
            "教师资格",
            "从业资格",
            "从业人员",
            "劳动人事争议",
            "劳动保障监察",
            "人事档案",
            "见习",
            "人才",
            "工伤认定",
            "执业注册",
            "执业核准",
            "执业备案",
            "律师执业",
            "保安员证",
            "驾驶员证",
            "放射工作人员",
            "兽医",
            "职业农民",
            "退役士兵安置",
        ],
        none: &["用人单位"],
        all: &[],
    },
    Rule {
        event: LifeEvent::MarriageChildren,
        any: &[
            "婚姻",
            "收养",
            "生育",
            "独生子女",
            "计划生育家庭",
            "困境儿童",
            "孤儿",
            "母婴",
        ],
        none: INSTITUTIONS,
        all: &[],
    },
    Rule {
        event: LifeEvent::Housing,
        any: &[
            "住房",
            "住宅",
            "房屋所有权",
            "房屋安全",
            "房屋租赁",
            "房屋交易",
            "商品房买卖",
            "存量房",
            "不动产权证书",
            "不动产登记资料",
            "宅基地",
            "危房",
            "公积金",
            "契税",
            "低压居民",
            "用电更名过户",
            "抵押权",
            "预告登记",
            "白蚁",
            "户口迁移",
            "分户",
            "立户",
            "落户",
            "居住证",
        ],
        none: &[],
        all: &[],
    },
    Rule {
        event: LifeEvent::Travel,
        any: &[
            "机动车",
            "驾驶证",
            "非机动车",
            "护照",
            "通行证",
            "出入境",
            "车辆购置税",
            "号牌",
            "轮椅车",
            "拖拉机",
        ],
        none: &[
            "经营",
            "维修",
            "修理",
            "回收",
            "培训",
            "化学品",
            "烟花爆竹",
            "爆炸物品",
            "危险货物",
        ],
        all: &[],
    },
    Rule {
        event: LifeEvent::StartBusiness,
        any: FOUNDING,
        none: &[
            "变更", "注销", "终止", "缴销", "延续", "换发", "补领", "补办", "抵押", "出质", "异议",
        ],
        all: &[],
    },
    Rule {
        event: LifeEvent::RunBusiness,
        any: &[
            "经营",
            "营业",
            "企业",
            "公司",
            "个体工商户",
            "合作社",
            "发票",
            "纳税",
            "税收",
            "涉税",
            "完税",
            "退（免）税",
            "使用税",
            "增值税",
            "非正常户",
            "定期定额",
            "特种行业",
            "卫生许可",
            "生产许可",
            "排污",
            "污染",
            "固体废物",
            "广告",
            "户外招牌",
            "特种设备",
            "计量",
            "安全生产",
            "化学品",
            "易制毒",
            "爆炸物品",
            "烟花爆竹",
            "爆破",
            "群众性活动",
            "消防安全",
            "商业预付卡",
            "酒类",
            "屠宰",
            "稳岗",
            "集体合同",
            "工时",
            "劳务派遣",
            "人力资源服务",
            "用人单位",
            "外商投资",
            "进出口",
            "动产抵押",
            "股权出质",
            "代理记账",
            "政府采购",
            "烟草",
            "零售",
            "餐饮",
            "食品",
            "医疗器械",
            "药品",
            "诊所",
            "医疗机构",
            "诊疗",
            "娱乐",
            "民宿",
            "放映",
            "演出",
            "出版物",
            "经纪",
            "运输",
            "营运证",
            "出租汽车",
            "港口",
            "渔业",
            "养殖",
            "农产品",
            "家庭农场",
            "检疫",
            "防疫",
            "兽药",
            "种子",
            "收购",
            "农机",
            "采伐",
            "木材",
            "采矿",
            "取水",
            "采砂",
            "用电",
            "非居民",
            "光伏",
            "保安员单位",
            "联网备案",
            "修理",
            "回收",
            "培训许可",
            "执业许可",
            "年度检查",
        ],
        none: &[
            "建设项目",
            "投资项目",
            "建设工程",
            "设立登记",
            "成立登记",
            "企业名称",
            "缴存",
            "创业",
            "用电更名过户",
            "临时用电",
        ],
        all: &[],
    },
    Rule {
        event: LifeEvent::RunBusiness,
        any: &[],
        none: &[],
        all: &[FOUNDING, CHANGES],
    },
    Rule {
        event: LifeEvent::RunBusiness,
        any: &[],
        none: &[],
        all: &[ORGANISATIONS, CHANGES],
    },
    Rule {
        event: LifeEvent::Construction,
        any: &[
            "建设工程",
            "建设项目",
            "投资项目",
            "工程",
            "施工",
            "竣工",
            "规划许可",
            "规划核实",
            "规划条件",
            "用地",
            "土地使用权出租",
            "土地复垦",
            "招标",
            "初步设计",
            "可行性研究",
            "项目建议书",
            "节能审查",
            "环境影响",
            "水土保持",
            "消防设计",
            "消防验收",
            "防空地下室",
            "雷电防护",
            "选址",
            "设计文件",
            "质量监督",
            "开工",
            "起重机械",
            "预售",
            "测量标志",
            "城市道路",
            "城市绿地",
            "城市桥梁",
            "管线",
            "排水管网",
            "建筑垃圾",
            "地质灾害",
            "水库",
            "大坝",
            "围堤",
            "河道管理",
            "村级小型项目",
            "高压新装",
            "临时用电",
        ],
        none: &[],
        all: &[],
    },
    Rule {
        event: LifeEvent::SocialHealth,
        any: &[
            "社会保险",
            "社会保障卡",
            "医疗保险",
            "医疗救助",
            "医疗费用",
            "大病保险",
            "异地就医",
            "门诊",
            "家庭医生",
            "工伤",
            "失业保险",
            "生育保险",
            "养老保险",
            "残疾",
            "最低生活保障",
            "低收入",
            "救助",
            "献血",
            "劳动能力鉴定",
            "护理补贴",
            "生活补贴",
            "无障碍",
            "辅助器具",
            "优抚",
            "优待金",
            "抚恤",
            "预防接种",
            "被征地农民",
            "法律援助",
        ],
        none: &["定点医药机构", "用人单位"],
        all: &[],
    },
    Rule {
        event: LifeEvent::Retirement,
        any: &["养老", "退休", "高龄", "老年人"],
        none: &["养老机构"],
        all: &[],
    },
    Rule {
        event: LifeEvent::AfterDeath,
        any: &[
            "死亡",
            "丧葬",
            "殡葬",
            "抚恤金",
            "烈士",
            "遗属",
            "继承",
            "公墓",
        ],
        none: &[],
        all: &[],
    },
];

impl LifeEvent {
    pub const ALL: [LifeEvent; 12] = [
        LifeEvent::Birth,
        LifeEvent::Schooling,
        LifeEvent::Employment,
        LifeEvent::MarriageChildren,
        LifeEvent::Housing,
        LifeEvent::Travel,
        LifeEvent::StartBusiness,
        LifeEvent::RunBusiness,
        LifeEvent::Construction,
        LifeEvent::SocialHealth,
        LifeEvent::Retirement,
        LifeEvent::AfterDeath,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LifeEvent::Birth => "birth",
            LifeEvent::Schooling => "schooling",
            LifeEvent::Employment => "employment",
            LifeEvent::MarriageChildren => "marriage_children",
            LifeEvent::Housing => "housing",
            LifeEvent::Travel => "travel",
            LifeEvent::StartBusiness => "start_business",
            LifeEvent::RunBusiness => "run_business",
            LifeEvent::Construction => "construction",
            LifeEvent::SocialHealth => "social_health",
            LifeEvent::Retirement => "retirement",
            LifeEvent::AfterDeath => "after_death",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            LifeEvent::Birth => "出生",
            LifeEvent::Schooling => "入学",
            LifeEvent::Employment => "就业",
            LifeEvent::MarriageChildren => "婚育",
            LifeEvent::Housing => "住房",
            LifeEvent::Travel => "出行",
            LifeEvent::StartBusiness => "开办企业",
            LifeEvent::RunBusiness => "经营",
            LifeEvent::Construction => "工程建设",
            LifeEvent::SocialHealth => "社保医疗",
            LifeEvent::Retirement => "退休养老",
            LifeEvent::AfterDeath => "身后事",
        }
    }

    /// Whether the event concerns an enterprise rather than a person.
    pub fn is_for_enterprises(self) -> bool {
        matches!(
            self,
            LifeEvent::StartBusiness | LifeEvent::RunBusiness | LifeEvent::Construction
        )
    }
}

/// The life events an item with this name belongs to, in the order of [`LifeEvent::ALL`], each once.
pub fn classify(name: &str) -> Vec<LifeEvent> {
    RULES
        .iter()
        .filter(|r| {
            let has = |words: &[&str]| words.iter().any(|k| name.contains(k));
            (has(r.any) && !has(r.none)) || (!r.all.is_empty() && r.all.iter().all(|g| has(g)))
        })
        .map(|r| r.event)
        .fold(Vec::new(), |mut events, e| {
            if !events.contains(&e) {
                events.push(e);
            }
            events
        })
}

/// The life events of an item.
pub fn life_events_of(item: &Item) -> Vec<LifeEvent> {
    classify(&item.name)
}

/// The events as stored in one text column: `,birth,housing,` (a filter looks for `,birth,`);
/// empty for none.
pub fn encode(events: &[LifeEvent]) -> String {
    if events.is_empty() {
        return String::new();
    }
    let mut out = String::from(",");
    for e in events {
        out.push_str(e.as_str());
        out.push(',');
    }
    out
}

/// What a stored column holds in a filter for `event`: `,birth,`.
pub fn encoded_marker(event: LifeEvent) -> String {
    format!(",{},", event.as_str())
}

#[cfg(test)]
mod tests {
    use super::LifeEvent::*;
    use super::*;

    fn has(name: &str, event: LifeEvent) -> bool {
        classify(name).contains(&event)
    }

    #[test]
    fn a_birth_is_registered_vaccinated_and_insured() {
        for name in [
            "出生登记",
            "出生医学证明",
            "预防接种证办理",
            "生育登记",
            "生育保险待遇申领",
        ] {
            assert!(has(name, Birth), "{name}");
        }
        assert!(!has("母婴保健技术服务执业许可", Birth));
        assert!(!has("计划生育技术服务机构执业许可", MarriageChildren));
    }

    #[test]
    fn marriage_and_children() {
        for name in [
            "婚姻登记",
            "收养登记",
            "再生育审批",
            "独生子女父母光荣证发放",
            "困境儿童基本生活保障",
        ] {
            assert!(has(name, MarriageChildren), "{name}");
        }
    }

    #[test]
    fn schooling_and_employment() {
        assert!(has("中小学生转学", Schooling));
        assert!(has(
            "适龄儿童、少年因身体状况需要延缓入学或者休学审批",
            Schooling
        ));
        assert!(has("学历证明书出具", Schooling));
        for name in [
            "就业登记",
            "失业保险金申领",
            "教师资格认定",
            "一次性创业补贴",
            "高校毕业生就业见习补贴",
            "医师执业注册",
            "机动车驾驶员培训许可（新办）",
        ] {
            let expected = !name.contains("培训许可");
            assert_eq!(has(name, Employment), expected, "{name}");
        }
        assert!(!has("用人单位按比例安排残疾人就业年审", Employment));
    }

    #[test]
    fn housing_is_the_home_not_the_developer() {
        for name in [
            "住房公积金提取",
            "国有建设用地使用权及房屋所有权转移登记",
            "宅基地使用权及房屋所有权首次登记",
            "存量房交易合同网签备案",
            "契税申报",
            "公共租赁住房资格审核",
            "低压居民新装",
            "不动产权证书补证",
        ] {
            assert!(has(name, Housing), "{name}");
        }
        assert!(!has("房地产开发企业资质核定（三级、暂定）", Housing));
        assert!(has("商品房预售许可", Construction));
        assert!(!has("商品房预售许可", Housing));
    }

    #[test]
    fn travel_is_the_driver_and_the_car_not_the_garage() {
        for name in [
            "机动车驾驶证初次申领",
            "机动车注册登记",
            "普通护照签发",
            "往来港澳通行证签注",
            "非机动车转移登记",
            "车辆购置税申报",
        ] {
            assert!(has(name, Travel), "{name}");
        }
        for name in [
            "机动车维修经营许可（新办）",
            "机动车修理业备案",
            "剧毒化学品道路运输通行证核发",
            "报废机动车回收业备案",
        ] {
            assert!(!has(name, Travel), "{name}");
        }
        assert!(has("机动车维修经营许可（新办）", RunBusiness));
    }

    #[test]
    fn starting_and_running_a_business() {
        for name in [
            "有限责任公司设立登记",
            "企业名称预先核准",
            "个体工商户注册登记",
            "税务登记",
            "发票领用",
            "公章刻制备案",
            "小餐饮店登记",
        ] {
            assert!(has(name, StartBusiness), "{name}");
        }
        assert!(!has("有限责任公司注销登记", StartBusiness));
        for name in [
            "有限责任公司变更登记",
            "食品经营许可（延续）",
            "企业年度报告公示",
            "烟草专卖零售许可",
            "公共场所卫生许可",
            "旅馆业特种行业许可证核发",
            "排污许可证核发",
            "户外招牌设置审批",
        ] {
            assert!(has(name, RunBusiness), "{name}");
        }
        assert!(!has("有限责任公司设立登记", RunBusiness));
    }

    #[test]
    fn construction_projects() {
        for name in [
            "建筑工程施工许可证核发",
            "建设工程规划许可证核发",
            "企业投资项目核准（核准）",
            "建设项目环境影响报告书审批",
            "生产建设项目水土保持方案审批",
            "建设工程消防验收",
            "雷电防护装置设计审核",
            "应建防空地下室的民用建筑项目报建审批",
            "乡村建设规划许可证核发",
        ] {
            assert!(has(name, Construction), "{name}");
        }
        assert!(!has("企业投资项目核准（核准）", RunBusiness));
    }

    #[test]
    fn social_security_retirement_and_after_a_death() {
        for name in [
            "社会保障卡申领",
            "职工基本医疗保险参保登记",
            "基本医疗保险异地就医备案",
            "最低生活保障",
            "残疾人证核发",
            "工伤保险待遇申领",
        ] {
            assert!(has(name, SocialHealth), "{name}");
        }
        for name in [
            "企业职工基本养老保险待遇申领",
            "领取养老金资格认证",
            "高龄津贴发放",
            "老年人优待证办理",
            "居家养老服务补贴",
            "特殊工种提前退休审批",
        ] {
            assert!(has(name, Retirement), "{name}");
        }
        assert!(!has("养老机构设立许可", Retirement));
        for name in [
            "死亡注销户口",
            "殡葬补助",
            "失业人员丧葬补助金和抚恤金申领",
            "死亡医学证明（推断）书补办",
            "烈士褒扬金发放",
        ] {
            assert!(has(name, AfterDeath), "{name}");
        }
    }

    #[test]
    fn events_are_stored_as_one_marked_text() {
        let events = classify("住房公积金提取");
        let stored = encode(&events);
        assert_eq!(stored, ",housing,");
        assert!(stored.contains(&encoded_marker(Housing)));
        assert!(!stored.contains(&encoded_marker(Birth)));
        assert_eq!(encode(&[]), "");
        for e in LifeEvent::ALL {
            assert_eq!(LifeEvent::parse(e.as_str()), Some(e));
        }
    }

    #[test]
    fn some_items_belong_to_no_event() {
        assert!(classify("气象信息服务单位备案").is_empty());
    }
}
