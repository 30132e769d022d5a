//! Synthetic webhook bodies of ~1.1 KB, shaped like Zoom's leg events: unique per index, eight
//! consecutive events per engagement, eight event types in turn.

const TYPES: [&str; 8] = [
    "engagement_started",
    "task_created",
    "task_reservation_created",
    "task_reservation_accepted",
    "engagement_user_answered",
    "engagement_user_hold",
    "engagement_user_unhold",
    "engagement_user_ended",
];

pub fn body(i: usize) -> String {
    let engagement = format!("Eng{:019}", i / 8);
    let ts = 1_777_903_200_000u64 + i as u64 * 37;
    let secs = ts / 1000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!(
        concat!(
            r#"{{"event":"contact_center.{ty}","event_ts":{ts},"payload":{{"account_id":"Acct9xQzLmN0pR2sT4uV6w","object":{{"#,
            r#""engagement_id":"{eng}","engagement_direction":"inbound","channel":"voice","channel_source":"voice","#,
            r#""date_time_ms":"2026-05-04T{h:02}:{m:02}:{s:02}.{ms:03}Z","flow_id":"ZWW0A1B2C3D4E5F60718293A4B5C6D7E8F9","#,
            r#""flow_name":"Main IVR","flow_number":"+15555550100","cc_queue_id":"QueSupport0a1b2c3d4e5f","#,
            r#""queue_name":"Support","user_id":"AgtAlice0a1b2c3d4e5f6g","user_display_name":"Alice Agent","#,
            r#""consumer_id":"CnsMr0a1b2c3d4e5f6g7h8","consumer_number":"+15555550123","consumer_display_name":"Pat Caller","#,
            r#""task_id":"ZWT1111AAAA2222BBBB3333CCCC4444DDDD","event_seq":{i},"variables":[{{"name":"language","value":"en-US"}},"#,
            r#"{{"name":"tier","value":"gold"}},{{"name":"region","value":"emea"}},{{"name":"topic","value":"billing"}}],"#,
            r#""notes":"Synthetic benchmark body: padding keeps it near the 1.1 KB average of real leg events, "#,
            r#"so throughput figures compare with the measured ceilings. Padding padding padding padding padding padding."}}}}}}"#
        ),
        ty = TYPES[i % 8],
        ts = ts,
        eng = engagement,
        h = h,
        m = m,
        s = s,
        ms = ts % 1000,
        i = i,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn bodies_are_unique_json_of_about_a_kilobyte() {
        let a = super::body(1);
        let b = super::body(2);
        assert_ne!(a, b);
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert_eq!(v["payload"]["object"]["event_seq"], 1);
        assert!((1000..1300).contains(&a.len()), "{} bytes", a.len());
    }
}
