use provenant_repro::Variation;

#[test]
fn names_round_trip() {
    for v in Variation::ALL {
        assert_eq!(v.name().parse::<Variation>().unwrap(), v);
        assert_eq!(v.to_string(), v.name());
    }
    assert_eq!("build_path".parse::<Variation>().unwrap(), Variation::BuildPath);
    let err = "moon".parse::<Variation>().unwrap_err();
    assert!(err.to_string().contains("moon"));
}
