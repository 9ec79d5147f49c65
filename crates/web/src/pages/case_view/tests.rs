use super::*;

fn left(n: u32) -> Timeliness {
    Timeliness::OnTime {
        working_days_left: n,
    }
}

fn over(n: u32) -> Timeliness {
    Timeliness::Overdue {
        working_days_overdue: n,
        days_overdue: n,
    }
}

#[test]
fn lights_follow_the_days_left() {
    assert_eq!(
        Light::of(Status::InReview, Some(left(3)), Some(5)),
        Some(Light::Green)
    );
    assert_eq!(
        Light::of(Status::InReview, Some(left(2)), Some(5)),
        Some(Light::Yellow)
    );
    assert_eq!(
        Light::of(Status::Accepted, Some(left(0)), Some(5)),
        Some(Light::Yellow)
    );
    assert_eq!(
        Light::of(Status::InReview, Some(over(1)), Some(5)),
        Some(Light::Red)
    );
    assert_eq!(
        Light::of(Status::Suspended, Some(over(4)), Some(5)),
        Some(Light::Grey)
    );
    // The Saturday after a Friday due day: red, although no working day has passed.
    assert_eq!(
        Light::of(
            Status::InReview,
            Some(Timeliness::Overdue {
                working_days_overdue: 0,
                days_overdue: 1
            }),
            Some(5)
        ),
        Some(Light::Red)
    );
    assert_eq!(Light::of(Status::Submitted, None, Some(5)), None);
    assert_eq!(Light::of(Status::Approved, Some(left(3)), Some(5)), None);
    // A 20-day limit turns yellow 4 days before the end, not 2.
    assert_eq!(
        Light::of(Status::InReview, Some(left(4)), Some(20)),
        Some(Light::Yellow)
    );
    assert_eq!(
        Light::of(Status::InReview, Some(left(5)), Some(20)),
        Some(Light::Green)
    );
}

#[test]
fn every_label_exists_in_both_languages() {
    for lang in Lang::ALL {
        let t = lang.messages();
        for s in Status::ALL {
            assert!(t.has(status_key(s)), "{s:?}");
        }
        for k in SuspensionKind::ALL {
            assert!(t.has(suspension_key(k)), "{k:?}");
        }
        for c in Channel::ALL {
            assert!(t.has(channel_key(c)), "{c:?}");
        }
        for f in MaterialForm::ALL {
            assert!(t.has(material_form_key(f)), "{f:?}");
        }
        for key in COUNTED {
            assert!(t.has(key) && t.has(&format!("{key}-one")), "{key}");
        }
        for light in [Light::Green, Light::Yellow, Light::Red, Light::Grey] {
            assert!(t.has(light.label_key()));
        }
        for name in [
            "start-pre-review",
            "request-supplement",
            "provide-supplement",
            "accept",
            "reject",
            "start-review",
            "suspend",
            "resume",
            "extend",
            "decide",
            "issue-result",
            "deliver",
            "close",
            "record-visit",
        ] {
            let action = Action::parse(name).expect("an action");
            assert_eq!(action.as_str(), name);
            assert!(t.has(action_key(action)), "{name}");
        }
        for field in [
            "missing",
            "materials",
            "reason",
            "extra_visit_reason",
            "working_days",
            "actor",
            "document_number",
            "version",
            "anything",
        ] {
            assert!(t.has(field_message_key(field)), "{field}");
        }
    }
}

#[test]
fn forms_keep_repeated_names() {
    let form = FormFields(vec![
        ("missing".into(), "M01".into()),
        ("note".into(), "  ".into()),
        ("missing".into(), "M03".into()),
        ("version".into(), "7".into()),
    ]);
    assert_eq!(form.all("missing"), vec!["M01", "M03"]);
    assert_eq!(form.text("note"), None);
    assert_eq!(form.version(), Some(7));
    assert_eq!(form.value("absent"), "");
}

#[test]
fn waiting_reads_in_one_unit() {
    let zh = Lang::ZhCn.messages();
    // On the day it came in: hours, nothing finer.
    assert_eq!(waited(zh, 0, Some(0)), "不到 1 小时");
    assert_eq!(waited(zh, 59, Some(0)), "不到 1 小时");
    assert_eq!(waited(zh, 60, Some(0)), "1 小时");
    assert_eq!(waited(zh, 150, Some(0)), "2 小时");
    // Overnight from a day off to a working morning, no working day passed yet: still hours.
    assert_eq!(waited(zh, 13 * 60, Some(0)), "13 小时");
    // Once a working day has passed: working days only, however many hours that is.
    assert_eq!(waited(zh, 20 * 60, Some(1)), "1 个工作日");
    assert_eq!(waited(zh, 6000, Some(3)), "3 个工作日");
    // Received on Saturday, read on Monday before a working day has passed.
    assert_eq!(waited(zh, 2 * 24 * 60, Some(0)), "不到 1 个工作日");
    // The calendar does not cover the dates: calendar days, said as such.
    assert_eq!(waited(zh, 3 * 24 * 60 + 5, None), "3 天");
    assert_eq!(waited(zh, 30, None), "不到 1 小时");
    for (minutes, days) in [
        (5, Some(0)),
        (150, Some(0)),
        (6000, Some(3)),
        (3000, Some(0)),
    ] {
        let text = waited(zh, minutes, days);
        assert!(!text.contains("分钟"), "{text}");
        let units = ["小时", "工作日", "天"]
            .iter()
            .filter(|u| text.contains(*u))
            .count();
        assert_eq!(units, 1, "one unit in {text}");
    }
    let en = Lang::En.messages();
    assert_eq!(waited(en, 5, Some(0)), "under an hour");
    assert_eq!(waited(en, 60, Some(0)), "1 hour");
    assert_eq!(waited(en, 150, Some(0)), "2 hours");
    assert_eq!(waited(en, 6000, Some(3)), "3 working days");
    assert_eq!(waited(en, 2 * 24 * 60, Some(0)), "under a working day");
}

#[test]
fn at_most_once_is_claimed_only_of_a_case_that_is_done_with_one_visit_at_most() {
    use Status::*;
    // Done: decided, then delivered or closed, with 0 or 1 visit.
    for status in [Delivered, Closed] {
        assert!(once_kept(status, true, 0));
        assert!(once_kept(status, true, 1));
        assert!(!once_kept(status, true, 2), "two visits: never the claim");
    }
    // Not done yet: the result may still be fetched in person.
    for status in [
        Submitted,
        PreReview,
        SupplementRequested,
        Accepted,
        InReview,
        Suspended,
        Approved,
        Denied,
        ResultIssued,
    ] {
        for visits in 0..3 {
            assert!(!once_kept(status, true, visits), "{status:?} {visits}");
            assert!(!once_kept(status, false, visits), "{status:?} {visits}");
        }
    }
    // Turned away or withdrawn and closed without a decision: nothing was done to claim.
    assert!(!once_kept(Closed, false, 1));
    assert!(!once_kept(Rejected, false, 1));
}
