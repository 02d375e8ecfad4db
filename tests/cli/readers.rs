//! The readers against hostile inputs: a corpus of what a pull request can commit to break
//! them (nesting bombs, alias bombs, huge numbers and keys, broken encodings, control
//! characters, ragged CSV), and properties checked on generated documents (no panic; an
//! error names a position inside the file; JSON reads as serde_json reads it; what a writer
//! wrote comes back). Stable Rust, a seeded generator, no fuzzing toolchain.

use mlci::inputs::value::Value;
use mlci::inputs::{self, Format, extract, records};

/// A small, seeded generator (xorshift64*): the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Checks what a reader said about `bytes`: an error's position lies inside the text.
fn check_position(what: &str, bytes: &[u8], result: &Result<Value, inputs::ParseError>) {
    let Err(error) = result else { return };
    if error.line == 0 {
        return; // the reader could not tell
    }
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        error.line <= lines.len() + 1,
        "{what}: line {} of {}: {error}",
        error.line,
        lines.len()
    );
    if let Some(line) = lines.get(error.line - 1) {
        assert!(
            error.column <= line.chars().count() + 2,
            "{what}: column {} past the line ({} chars): {error}",
            error.column,
            line.chars().count()
        );
    }
}

fn parse_all(name: &str, bytes: &[u8]) {
    for format in [Format::Json, Format::Yaml, Format::Toml] {
        let result = inputs::parse(format, bytes);
        check_position(&format!("{name} as {format}"), bytes, &result);
        if let Ok(value) = result {
            let _ = extract::samples(&value);
            let _ = extract::metrics(value.clone());
            let _ = extract::params(value, &inputs::dvcyaml::Tracked::Whole);
        }
    }
    let _ = records::read(&format!("{name}.csv"), bytes);
    let _ = records::read(&format!("{name}.tsv"), bytes);
    let _ = records::read(&format!("{name}.json"), bytes);
    let _ = inputs::data::profile(bytes, b',');
}

/// Hostile files: each must be read or refused with a position, quickly, without a panic.
#[test]
fn the_hostile_corpus_is_read_or_refused_never_a_crash() {
    let deep = 100_000;
    let mut corpus: Vec<(&str, Vec<u8>)> = vec![
        ("json nesting bomb", "[".repeat(deep).into_bytes()),
        (
            "json object nesting",
            "{\"a\":".repeat(deep).into_bytes(),
        ),
        ("yaml flow nesting bomb", "[".repeat(deep).into_bytes()),
        ("yaml block nesting", {
            let mut text = String::new();
            for depth in 0..2_000 {
                text.push_str(&" ".repeat(depth));
                text.push_str("a:\n");
            }
            text.into_bytes()
        }),
        (
            "yaml billion laughs",
            b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\ni: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n".to_vec(),
        ),
        ("toml inline nesting", {
            let mut text = String::from("a = ");
            text.push_str(&"{b = ".repeat(5_000));
            text.push('1');
            text.push_str(&"}".repeat(5_000));
            text.into_bytes()
        }),
        ("a 10,000-digit integer", format!("{{\"n\": {}}}", "9".repeat(10_000)).into_bytes()),
        ("floats past f64", b"{\"a\": 1e400, \"b\": -1e400, \"c\": 1e-400}".to_vec()),
        ("a 4 MB key", format!("{{\"{}\": 1}}", "k".repeat(4 << 20)).into_bytes()),
        ("a lone surrogate", b"{\"a\": \"\\ud800\", \"\\udfff\": 1}".to_vec()),
        ("invalid utf-8", b"{\"a\": \"\xff\xfe\"}\n".to_vec()),
        ("a byte order mark", b"\xef\xbb\xbf{\"acc\": 0.9}".to_vec()),
        ("nul bytes", b"{\"a\0b\": 1, \"c\": \"\0\"}".to_vec()),
        (
            "names that are workflow commands",
            b"{\"x\\n::add-mask::s\": 1, \"##[set-output name=a]b\": 2, \"\\u001b[31m\": 3}".to_vec(),
        ),
        ("duplicate keys", b"{\"a\": 1, \"a\": {\"b\": 2}, \"a\": [3]}".to_vec()),
        ("yaml tags", b"a: !!python/object:os.system echo\nb: !!binary aGk=\nc: !custom 1\n".to_vec()),
        ("yaml merge keys", b"base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n".to_vec()),
        ("yaml tabs", b"a:\n\tb: 1\n".to_vec()),
        ("toml dates", b"a = 1979-05-27T07:32:00Z\nb = 07:32:00\n".to_vec()),
        ("ragged csv", b"step,loss\n1,0.5\n2\n3,0.1,extra\n4,x\n".to_vec()),
        ("an unterminated quote", b"a,b\n1,\"2\n3,4\n".to_vec()),
        ("only a header", b"step,loss\n".to_vec()),
        ("mixed line endings", b"a,b\r\n1,2\r3,4\n5,6".to_vec()),
        ("a csv of 10,000 columns", {
            let mut text = (0..10_000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(",");
            text.push('\n');
            text.push_str(&vec!["1"; 10_000].join(","));
            text.into_bytes()
        }),
        ("empty", Vec::new()),
        ("whitespace", b"  \n\t\n".to_vec()),
    ];
    // A million keys: the size the scale benchmark measures, here for the readers alone.
    let mut many = String::from("{");
    for i in 0..1_000_000 {
        if i > 0 {
            many.push(',');
        }
        many.push_str(&format!("\"m{i}\": {i}"));
    }
    many.push('}');
    corpus.push(("a million keys", many.into_bytes()));
    for (name, bytes) in &corpus {
        parse_all(name, bytes);
    }
    // What must hold, not only "no crash":
    let json = |bytes: &[u8]| inputs::parse(Format::Json, bytes);
    assert!(
        json(&corpus[0].1)
            .unwrap_err()
            .message
            .contains("nesting deeper")
    );
    let laughs = inputs::parse(Format::Yaml, &corpus[4].1);
    if let Ok(value) = &laughs {
        // Aliases may be expanded only within a budget: never a billion leaves.
        let leaves = extract::params(value.clone(), &inputs::dvcyaml::Tracked::Whole);
        let count = match leaves {
            mlci::model::Document::Map(entries) => entries.len(),
            mlci::model::Document::Scalar(_) => 1,
        };
        assert!(count < 100, "{count}");
    }
    let floats = json(&corpus[7].1).unwrap();
    assert_eq!(floats.get("a"), Some(&Value::Float(f64::INFINITY)));
    assert_eq!(floats.get("c"), Some(&Value::Float(0.0)));
    assert!(
        inputs::parse(Format::Json, &corpus[10].1)
            .unwrap_err()
            .message
            .contains("UTF-8")
    );
    let bom = json(&corpus[11].1).unwrap();
    assert_eq!(bom.get("acc"), Some(&Value::Float(0.9)));
    let names = json(&corpus[13].1).unwrap();
    assert!(names.get("x\n::add-mask::s").is_some(), "{names:?}");
    let many = json(&corpus.last().unwrap().1).unwrap();
    match extract::metrics(many) {
        mlci::model::Document::Map(entries) => assert_eq!(entries.len(), 1_000_000),
        other => panic!("{other:?}"),
    }
}

/// A random JSON document: nested objects and lists of numbers, strings, booleans, nulls.
fn document(rng: &mut Rng, depth: u32) -> serde_json::Value {
    let keys = [
        "acc", "loss", "a.b", "x y", "ü", "\"q\"", "", "n\\m", "\t", "0",
    ];
    match (depth, rng.below(7)) {
        (0, _) | (_, 0) => serde_json::json!(rng.below(2_000_000) as f64 / 997.0 - 1000.0),
        (_, 1) => serde_json::json!(rng.next() as i64),
        (_, 2) => serde_json::json!(rng.pick(&keys)),
        (_, 3) => serde_json::json!(rng.below(2) == 1),
        (_, 4) => serde_json::Value::Null,
        (_, 5) => (0..rng.below(5))
            .map(|_| document(rng, depth - 1))
            .collect::<Vec<_>>()
            .into(),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(6) {
                let key = format!("{}{}", rng.pick(&keys), rng.below(3));
                map.insert(key, document(rng, depth - 1));
            }
            map.into()
        }
    }
}

/// Our tree against serde_json's for the same text.
fn same(ours: &Value, theirs: &serde_json::Value) -> bool {
    match (ours, theirs) {
        (Value::Null, serde_json::Value::Null) => true,
        (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
        (Value::Int(a), serde_json::Value::Number(n)) => {
            n.as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                == Some(*a)
        }
        (Value::Float(a), serde_json::Value::Number(n)) => n.as_f64() == Some(*a),
        (Value::Str(a), serde_json::Value::String(b)) => a == b,
        (Value::List(a), serde_json::Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Map(a), serde_json::Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

#[test]
fn generated_json_reads_as_serde_json_reads_it() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for case in 0..3_000 {
        let doc = document(&mut rng, 4);
        let text = if case % 2 == 0 {
            serde_json::to_string(&doc).unwrap()
        } else {
            serde_json::to_string_pretty(&doc).unwrap()
        };
        let ours = inputs::parse(Format::Json, text.as_bytes())
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        assert!(same(&ours, &doc), "case {case}:\n{text}\n{ours:?}");
    }
}

#[test]
fn mutated_documents_fail_with_a_position_inside_the_file() {
    let mut rng = Rng(0xdead_beef_0bad_f00d);
    let noise: &[&[u8]] = &[
        b"{", b"}", b"[", b"]", b":", b",", b"\"", b"\n", b"\\", b"\xff", b"-", b"NaN", b"#",
        b"&a", b"*a", b"!!", b"- ", b"? ", b"|", b"'", b"=", b"[[", b"\t", b"\0",
    ];
    for case in 0..4_000 {
        let doc = document(&mut rng, 3);
        let mut bytes = if case % 3 == 0 {
            serde_json::to_vec_pretty(&doc).unwrap()
        } else {
            serde_json::to_vec(&doc).unwrap()
        };
        for _ in 0..=rng.below(3) {
            let at = rng.below(bytes.len() as u64 + 1) as usize;
            let piece = rng.pick(noise);
            match rng.below(3) {
                0 => {
                    bytes.splice(at..at, piece.iter().copied());
                }
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        parse_all(&format!("case {case}"), &bytes);
    }
}

#[test]
fn csv_reads_what_a_writer_wrote() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for case in 0..500 {
        let columns = 1 + rng.below(5) as usize;
        let rows = rng.below(50) as usize;
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header: Vec<String> = (0..columns).map(|c| format!("col {c}, \"q\"")).collect();
        writer.write_record(&header).unwrap();
        let mut numbers = vec![Vec::new(); columns];
        for _ in 0..rows {
            let row: Vec<f64> = (0..columns)
                .map(|_| (rng.below(2_000_001) as f64 - 1_000_000.0) / 1024.0)
                .collect();
            for (c, v) in row.iter().enumerate() {
                numbers[c].push(*v);
            }
            writer
                .write_record(row.iter().map(|v| v.to_string()))
                .unwrap();
        }
        let bytes = writer.into_inner().unwrap();
        let table =
            records::read("data.csv", &bytes).unwrap_or_else(|e| panic!("case {case}: {e}"));
        assert_eq!(table.rows, rows, "case {case}");
        for (c, name) in header.iter().enumerate() {
            let column = table
                .column(name)
                .unwrap_or_else(|| panic!("case {case}: {name}"));
            assert_eq!(
                column.numbers().as_ref(),
                numbers[c].as_slice(),
                "case {case}"
            );
        }
    }
}
