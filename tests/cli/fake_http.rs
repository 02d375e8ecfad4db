//! The HTTP/1.1 plumbing of the fake forges: a threaded server on 127.0.0.1 that reads
//! requests (with keep-alive) and writes what a handler answers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A request as the fake saw it.
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// What the fake answers.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// A JSON body (`null`: none).
    pub body: Value,
    /// A plain-text body instead (GitLab's `Retry later`).
    pub text: Option<String>,
    /// Answer only after this long.
    pub delay: Option<Duration>,
    /// Send the answer one byte at a time, this long apart (a server that trickles).
    pub trickle: Option<Duration>,
}

impl Response {
    pub fn json(status: u16, body: Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body,
            text: None,
            delay: None,
            trickle: None,
        }
    }

    /// A plain-text answer (an HTML error page, a proxy's).
    pub fn text(status: u16, text: &str) -> Response {
        Response {
            text: Some(text.to_owned()),
            ..Response::json(status, Value::Null)
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        let mut response = Response::json(status, Value::Null);
        response
            .headers
            .push(("location".into(), location.to_owned()));
        response
    }
}

/// Every request a server received, byte for byte (request line, headers, body): what a
/// test searches for a secret that must never be sent.
#[derive(Clone, Default)]
pub struct Wire(Arc<Mutex<Vec<u8>>>);

impl Wire {
    /// Everything received so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// How many requests arrived.
    pub fn requests(&self) -> usize {
        self.text().matches(" HTTP/1.1\r\n").count()
    }

    fn record(&self, request: &Request) {
        let mut wire = self.0.lock().unwrap();
        let target = if request.query.is_empty() {
            request.path.clone()
        } else {
            format!("{}?{}", request.path, request.query)
        };
        wire.extend_from_slice(format!("{} {target} HTTP/1.1\r\n", request.method).as_bytes());
        for (name, value) in &request.headers {
            wire.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        wire.extend_from_slice(b"\r\n");
        wire.extend_from_slice(&request.body);
        wire.extend_from_slice(b"\r\n");
    }
}

/// A server on another host that a forge must never send us to: it records what arrives
/// and answers `[]`.
pub struct Elsewhere {
    pub url: String,
    pub wire: Wire,
}

impl Elsewhere {
    pub fn start() -> Elsewhere {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let wire = serve(listener, |_| Response::json(200, Value::Array(Vec::new())));
        Elsewhere { url, wire }
    }
}

/// Sends one raw HTTP/1.1 request to the server at `url` (its `http://HOST:PORT` part);
/// returns the status. For tests of what a fake refuses.
pub fn raw(url: &str, method: &str, path: &str, headers: &[&str], body: &str) -> u16 {
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = TcpStream::connect(&authority).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Serves `handle` on `listener`, one thread a connection; returns the record of every
/// request.
pub fn serve(
    listener: TcpListener,
    handle: impl Fn(&Request) -> Response + Send + Sync + 'static,
) -> Wire {
    let handle = Arc::new(handle);
    let wire = Wire::default();
    let recorder = wire.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            let wire = recorder.clone();
            std::thread::spawn(move || connection(&*handle, &wire, stream));
        }
    });
    wire
}

fn connection(handle: &dyn Fn(&Request) -> Response, wire: &Wire, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        wire.record(&request);
        let response = handle(&request);
        if let Some(delay) = response.delay {
            std::thread::sleep(delay);
        }
        let (body, content_type) = match (&response.text, &response.body) {
            (Some(text), _) => (text.clone(), "text/plain"),
            (None, Value::Null) => (String::new(), "application/json"),
            (None, json) => (json.to_string(), "application/json"),
        };
        let reason = match response.status {
            200 => "OK",
            201 => "Created",
            204 => "No Content",
            302 => "Found",
            307 => "Temporary Redirect",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            422 => "Unprocessable Entity",
            429 => "Too Many Requests",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            _ => "Status",
        };
        let mut head = format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: {content_type}; charset=utf-8\r\ncontent-length: {}\r\n",
            response.status,
            body.len()
        );
        for (k, v) in &response.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        // One write: a head and a body in two segments stall on Nagle's algorithm and
        // delayed ACKs (40 ms a request).
        head.push_str(&body);
        if let Some(pause) = response.trickle {
            for byte in head.as_bytes() {
                if writer.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(pause);
            }
        } else if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
}

pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
    })
}

pub fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}
