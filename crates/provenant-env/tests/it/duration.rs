use provenant_env::{Duration, DurationError};

#[test]
fn durations_read_every_unit_and_combinations() {
    assert_eq!(Duration::parse("90s").unwrap().as_secs(), 90);
    assert_eq!(Duration::parse("15m").unwrap().as_secs(), 900);
    assert_eq!(Duration::parse("24h").unwrap().as_secs(), 86_400);
    assert_eq!(Duration::parse("7d").unwrap().as_secs(), 604_800);
    assert_eq!(Duration::parse("1h30m").unwrap().as_secs(), 5_400);
    assert_eq!(Duration::parse("1h30m").unwrap().to_string(), "1h30m");
    assert_eq!(Duration::from_secs(90_061).to_string(), "1d1h1m1s");
}

#[test]
fn malformed_durations_are_refused_with_the_reason() {
    for bad in ["", "10", "h", "10x", "1.5h", "-1h", "10 m", "1h30"] {
        assert!(
            matches!(Duration::parse(bad), Err(DurationError::Malformed { .. })),
            "{bad}"
        );
    }
    assert!(matches!(Duration::parse("0s"), Err(DurationError::Zero { .. })));
    assert!(matches!(
        Duration::parse("99999999999999999999d"),
        Err(DurationError::TooLong { .. })
    ));
    assert!(matches!(
        Duration::parse("40000d"),
        Err(DurationError::TooLong { .. })
    ));
    let long = "1".repeat(100) + "s";
    assert!(Duration::parse(&long).is_err());
}
