//! Runs the built `axiom` binary the way a person or a script would: its own HOME, no AXIOM_*
//! variables from the developer's shell, stdin closed unless a test pipes something in.

use std::{
    collections::{HashMap, VecDeque},
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    os::unix::fs::PermissionsExt,
    path::PathBuf,
    process::{Output, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;
use tempfile::TempDir;
use tokio::{io::AsyncWriteExt, process::Command};

/// No command of these tests should take this long; a hung one fails instead of blocking.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// A person with a home folder of their own.
pub struct User {
    home: TempDir,
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "{self:#?}");
        &self.stdout
    }

    /// Asserts the exit code and returns stderr.
    #[track_caller]
    pub fn failed(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:#?}");
        assert!(self.stdout.is_empty(), "nothing on stdout: {self:#?}");
        &self.stderr
    }

    /// Asserts success and parses stdout, which `--json` keeps to one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }
}

impl User {
    pub fn new() -> Self {
        Self {
            home: TempDir::new().expect("a temporary HOME"),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.home.path().to_owned()
    }

    pub fn credentials(&self) -> PathBuf {
        self.home.path().join(".axiom").join("credentials")
    }

    /// The stored credentials, if any.
    pub fn stored(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.credentials()).ok()?;
        Some(serde_json::from_str(&text).expect("the credentials file is JSON"))
    }

    /// Permission bits of a path in the home folder.
    pub fn mode(&self, path: &PathBuf) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// `axiom` with this HOME and a clean environment; add arguments and variables.
    pub fn axiom(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_axiom"));
        command
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("AXIOM_API_KEY")
            .env_remove("AXIOM_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs `axiom ARGS` with stdin closed.
    pub async fn run(&self, args: &[&str]) -> Run {
        finish(self.axiom(args)).await
    }

    /// Runs `axiom ARGS` against `endpoint` (through `--endpoint`).
    pub async fn at(&self, endpoint: &str, args: &[&str]) -> Run {
        let mut command = self.axiom(args);
        command.arg("--endpoint").arg(endpoint);
        finish(command).await
    }

    /// `axiom login` against `endpoint` with the key in AXIOM_API_KEY, which must succeed.
    pub async fn login(&self, endpoint: &str, key: &str) {
        let mut command = self.axiom(&["login", "--endpoint", endpoint]);
        command.env("AXIOM_API_KEY", key);
        finish(command).await.ok();
    }
}

/// Runs a prepared command.
pub async fn finish(command: Command) -> Run {
    piped(command, None).await
}

/// Runs a prepared command with `input` on its stdin (then closed).
pub async fn piped(mut command: Command, input: Option<&str>) -> Run {
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn().expect("run the axiom binary");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).await.unwrap();
    }
    let output: Output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .expect("axiom finished in time")
        .unwrap();
    Run {
        code: output.status.code().expect("axiom exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// An endpoint where nothing listens: a port that was free a moment ago.
pub fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// The id of the key named `name`, from `axiom keys list --json`.
pub async fn key_id(user: &User, endpoint: &str, name: &str) -> String {
    let list = user.at(endpoint, &["keys", "list", "--json"]).await.json();
    list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["name"] == name)
        .unwrap_or_else(|| panic!("no key {name} in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A well-formed key that only a [`FakeApi`] accepts.
pub const FAKE_KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A stand-in for the API that answers `METHOD /path?query` with canned statuses and JSON
/// bodies, and anything else with API Gateway's 404: for answers the real API never gives (such
/// as names it refuses to store) or does not give yet. A route is matched with its query first,
/// then by its path alone. It records every request, and serves on a thread of its own until
/// the test process ends.
pub struct FakeApi {
    pub base: String,
    requests: Arc<Mutex<Vec<Received>>>,
}

/// A request as the fake API received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// The path and the query, as sent: `/v1/api-keys?limit=100&cursor=c1`.
    pub target: String,
    /// Names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Received {
    /// `METHOD target`, as routes are written.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:#?}"))
    }
}

type Answers = HashMap<String, VecDeque<(u16, String)>>;

impl FakeApi {
    /// Serves `routes`: (`"GET /v1/api-keys"`, status, body), the same answer every time.
    pub fn serve(routes: &[(&str, u16, String)]) -> Self {
        let routes: Vec<(&str, Vec<(u16, String)>)> = routes
            .iter()
            .map(|(route, status, body)| (*route, vec![(*status, body.clone())]))
            .collect();
        Self::scripted(&routes)
    }

    /// Serves `routes`, each with answers given in turn, the last one from then on.
    pub fn scripted(routes: &[(&str, Vec<(u16, String)>)]) -> Self {
        let mut answers: Answers = routes
            .iter()
            .map(|(route, answers)| ((*route).to_owned(), answers.iter().cloned().collect()))
            .collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                answer(stream, &mut answers, &log);
            }
        });
        Self { base, requests }
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    /// `METHOD target` of every request so far.
    pub fn routes(&self) -> Vec<String> {
        self.requests().iter().map(Received::route).collect()
    }

    /// `axiom ARGS` against this API, with a key of its own in AXIOM_API_KEY.
    pub async fn run(&self, args: &[&str]) -> Run {
        finish(self.command(&User::new(), args)).await
    }

    /// `axiom ARGS` of `user` against this API, with AXIOM_API_KEY set; add to it and run it.
    pub fn command(&self, user: &User, args: &[&str]) -> Command {
        let mut command = user.axiom(args);
        command
            .arg("--endpoint")
            .arg(&self.base)
            .env("AXIOM_API_KEY", FAKE_KEY);
        command
    }
}

/// Reads one request, records it and answers it, closing the connection.
fn answer(mut stream: TcpStream, answers: &mut Answers, log: &Mutex<Vec<Received>>) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let path = request.target.split('?').next().unwrap_or_default();
    let route = [request.route(), format!("{} {path}", request.method)]
        .into_iter()
        .find(|route| answers.contains_key(route));
    let (status, body) = route
        .and_then(|route| answers.get_mut(&route))
        .map(|queue| {
            if queue.len() > 1 {
                queue.pop_front().unwrap()
            } else {
                queue[0].clone()
            }
        })
        .unwrap_or_else(|| (404, r#"{"message":"Not Found"}"#.to_owned()));
    log.lock().unwrap().push(request);
    let response = format!(
        "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).ok();
}

fn read_request(stream: &TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok();
    Some(Received {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    })
}
