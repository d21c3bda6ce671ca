use provenant_templates::{Ci, Workload, params, render};

#[test]
fn every_template_renders() {
    for ci in Ci::ALL {
        for w in Workload::ALL {
            let values = params::resolve(w, ci, &[]).unwrap();
            let files = render(w, ci, &values).unwrap();
            assert_eq!(files.len(), 4);
        }
    }
}
