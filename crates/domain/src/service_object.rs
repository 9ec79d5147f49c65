//! Whom an item serves (服务对象): natural persons, legal persons (enterprises and other
//! organisations), or both. The catalogue records no such field yet, so it is read from what the
//! item is: an item that asks for a business licence, or licenses a business, serves enterprises;
//! an item about a person's household, identity, marriage, travel papers or pension serves
//! persons; any other item serves both.

use serde::{Deserialize, Serialize};

use crate::case::ApplicantKind;
use crate::catalogue::Item;

/// The applicants an item serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceObject {
    /// 自然人 only.
    Person,
    /// 法人 (enterprises and other organisations) only.
    Enterprise,
    /// Either.
    Both,
}

/// Words of an item's name that make it a person's affair.
const PERSON_WORDS: [&str; 11] = [
    "户口",
    "户籍",
    "居民身份证",
    "婚姻",
    "出入境",
    "护照",
    "驾驶",
    "社会保障卡",
    "退休",
    "职工",
    "生育",
];

/// Words of an item's name that make it an enterprise's affair.
const ENTERPRISE_WORDS: [&str; 8] = [
    "企业",
    "公司",
    "排污",
    "特种行业",
    "经营许可",
    "生产许可",
    "用人单位",
    "单位",
];

impl ServiceObject {
    /// Whom `item` serves.
    pub fn of(item: &Item) -> Self {
        if PERSON_WORDS.iter().any(|w| item.name.contains(w)) {
            Self::Person
        } else if ENTERPRISE_WORDS.iter().any(|w| item.name.contains(w))
            || item
                .demanded_materials()
                .any(|m| m.name.contains("营业执照"))
        {
            Self::Enterprise
        } else {
            Self::Both
        }
    }

    /// Whether an applicant of `kind` may file the item.
    pub fn fits(self, kind: ApplicantKind) -> bool {
        match self {
            Self::Both => true,
            Self::Person => kind == ApplicantKind::Person,
            Self::Enterprise => kind == ApplicantKind::Enterprise,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::tests::sample_item;

    #[test]
    fn a_business_licence_makes_an_enterprise_item_and_a_household_a_person_item() {
        let mut item = sample_item();
        item.name = "食品经营许可（新办）".into();
        assert_eq!(ServiceObject::of(&item), ServiceObject::Enterprise);
        assert!(!ServiceObject::of(&item).fits(ApplicantKind::Person));
        item.name = "户口迁移（购房迁入）".into();
        assert_eq!(ServiceObject::of(&item), ServiceObject::Person);
        item.name = "企业职工基本养老保险待遇申领".into();
        assert_eq!(ServiceObject::of(&item), ServiceObject::Person);
        item.name = "涉案财物价格认定".into();
        item.materials.retain(|m| !m.name.contains("营业执照"));
        assert_eq!(ServiceObject::of(&item), ServiceObject::Both);
        assert!(ServiceObject::Both.fits(ApplicantKind::Enterprise));
    }
}
