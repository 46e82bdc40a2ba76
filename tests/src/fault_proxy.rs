//! A small HTTP proxy on 127.0.0.1 in front of the local S3 server that injects faults:
//! error statuses, reset connections, stalls and short bodies, request by request.
//!
//! Each client connection may carry several requests (keep-alive); each request is
//! forwarded on a fresh upstream connection (`Connection: close`), and the upstream response
//! is relayed as it came, unless the test's rule says otherwise.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub range: Option<String>,
}

impl Request {
    pub fn is_ranged_get(&self) -> bool {
        self.method == "GET" && self.range.is_some()
    }

    /// An UploadPart of a multipart upload.
    pub fn is_upload_part(&self) -> bool {
        self.method == "PUT" && self.target.contains("partNumber=")
    }
}

/// What the proxy does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and relay the answer.
    None,
    /// Answer with this status (an S3 error body), without forwarding.
    Status(u16),
    /// Close the connection without an answer (a TCP reset).
    Reset,
    /// Wait, then forward.
    Stall(Duration),
    /// Forward, then relay the headers and only half the body, and close.
    ShortBody,
}

type Rule = dyn Fn(&Request) -> Fault + Send + Sync;

pub struct FaultProxy {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Every request seen, with the fault it got, in order.
    pub log: Arc<Mutex<Vec<(Request, Fault)>>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`host:port`) that asks `rule` what to do with each request.
    pub fn start(
        upstream: &str,
        rule: impl Fn(&Request) -> Fault + Send + Sync + 'static,
    ) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let rule: Arc<Rule> = Arc::new(rule);
        let upstream = upstream.to_string();
        {
            let (stop, log) = (stop.clone(), log.clone());
            thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let (rule, log, upstream) = (rule.clone(), log.clone(), upstream.clone());
                    thread::spawn(move || serve(client, &upstream, &*rule, &log));
                }
            });
        }
        FaultProxy { port, stop, log }
    }

    /// A proxy to `upstream` that gives `fault` to the first `times` requests `matches`
    /// picks, and lets every other request through.
    pub fn first(
        upstream: &str,
        fault: Fault,
        times: usize,
        matches: fn(&Request) -> bool,
    ) -> FaultProxy {
        let seen = AtomicUsize::new(0);
        FaultProxy::start(upstream, move |request| {
            if matches(request) && seen.fetch_add(1, Ordering::SeqCst) < times {
                fault
            } else {
                Fault::None
            }
        })
    }

    /// The endpoint to give the tools as `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many requests got `fault`.
    pub fn count(&self, fault: Fault) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, f)| *f == fault)
            .count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one request: head lines and body. None at the end of the connection.
fn read_request(client: &mut BufReader<TcpStream>) -> Option<(Request, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if client.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let mut words = head.first()?.split_whitespace();
    let (method, target) = (words.next()?.to_string(), words.next()?.to_string());
    let header = |name: &str| {
        head.iter().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    client.read_exact(&mut body).ok()?;
    // Re-send the head with the connection closed after the answer.
    let mut raw = Vec::new();
    for line in &head {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") || lower.starts_with("keep-alive:") {
            continue;
        }
        raw.extend_from_slice(line.as_bytes());
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"Connection: close\r\n\r\n");
    raw.extend_from_slice(&body);
    let range = header("range");
    Some((
        Request {
            method,
            target,
            range,
        },
        raw,
    ))
}

fn serve(client: TcpStream, upstream: &str, rule: &Rule, log: &Mutex<Vec<(Request, Fault)>>) {
    let mut writer = client.try_clone().unwrap();
    let mut reader = BufReader::new(client);
    while let Some((request, raw)) = read_request(&mut reader) {
        let fault = rule(&request);
        log.lock().unwrap().push((request, fault));
        match fault {
            Fault::Status(status) => {
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>injected</Message></Error>",
                    if status == 503 { "SlowDown" } else { "InternalError" }
                );
                let _ = write!(
                    writer,
                    "HTTP/1.1 {status} Injected\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::Reset => {
                // Linger 0: close sends RST instead of FIN.
                let _ = socket_linger_zero(&writer);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Fault::Stall(duration) => thread::sleep(duration),
            Fault::None | Fault::ShortBody => {}
        }
        let Ok(mut up) = TcpStream::connect(upstream) else {
            return;
        };
        if up.write_all(&raw).is_err() {
            return;
        }
        let mut answer = Vec::new();
        if up.read_to_end(&mut answer).is_err() {
            return;
        }
        if fault == Fault::ShortBody {
            let head_end = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(answer.len(), |p| p + 4);
            let body = answer.len() - head_end;
            let _ = writer.write_all(&answer[..head_end + body / 2]);
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        if writer.write_all(&answer).is_err() {
            return;
        }
        // The upstream closed after its answer; so does the proxy when the answer says so.
        let head = String::from_utf8_lossy(&answer[..answer.len().min(4096)]).to_ascii_lowercase();
        if head.contains("connection: close") {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn socket_linger_zero(stream: &TcpStream) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a pointer to a linger struct of the size given.
    let result = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
