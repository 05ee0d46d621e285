use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).expect("path");
    for _ in 0..3 {
        let t = Instant::now();
        let mut r = ft_trace::TraceReader::open(&path).expect("open");
        let events = r.read_all().expect("read");
        let load = t.elapsed();
        let t = Instant::now();
        let mut n = 0u8;
        for e in &events {
            n ^= e.body.structural_hash().0[0];
        }
        let hash = t.elapsed();
        let t = Instant::now();
        let mut buf = Vec::new();
        for e in &events {
            buf.clear();
            rmp_serde::encode::write(&mut buf, e).unwrap();
            n ^= buf[0];
        }
        let enc = t.elapsed();
        let t = Instant::now();
        drop(events);
        let dropt = t.elapsed();
        eprintln!(
            "read_all {:?} structural_hash {:?} encode {:?} drop {:?} size_of Event {} ({n})",
            load,
            hash,
            enc,
            dropt,
            std::mem::size_of::<ft_trace::Event>()
        );
    }
}
