//! A real browser for UI tests: Debian's Chromium, headless, driven over WebDriver
//! by chromedriver, both started here on a free loopback port and stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// Where Debian installs them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session; its chromedriver process dies with it.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a browser with a viewport of `width` x `height` CSS pixels, or returns
    /// `None` (outside CI) when Chromium is not installed. Under `CI=true` a missing
    /// browser is a failure.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
            assert!(
                !crate::in_ci(),
                "CI=true but {CHROMIUM} / {CHROMEDRIVER} are missing: .ci/run installs them"
            );
            eprintln!("skipping browser test: chromium and chromium-driver are not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": CHROMIUM, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver did not start a session: {e}"),
            }
        };
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// The text of the first element matching `css` once it contains `expected`,
    /// waiting up to 10 s: after a click that submits a form or follows a link, the old
    /// page may still be there (or go stale) for a moment.
    pub async fn text_when(&self, css: &str, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(fantoccini::Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.contains(expected) {
                    return text;
                }
                last = text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {expected:?}; last seen: {last:?}");
    }

    /// Logs a staff member in through the real login form at `address` and waits
    /// for the staff start page, so the next navigation carries the session.
    pub async fn login(&self, address: &str, username: &str, password: &str) {
        use fantoccini::Locator;
        let c = &self.client;
        c.goto(&format!("{address}/masuk")).await.expect("open the login page");
        c.find(Locator::Id("username"))
            .await
            .expect("username field")
            .send_keys(username)
            .await
            .expect("type the username");
        c.find(Locator::Id("password"))
            .await
            .expect("password field")
            .send_keys(password)
            .await
            .expect("type the password");
        c.find(Locator::Css("form button[type=submit]"))
            .await
            .expect("login button")
            .click()
            .await
            .expect("submit the login form");
        self.wait_for_path("/staf").await;
    }

    /// Waits up to 10 s for the browser to arrive at a page whose path ends with
    /// `path` (after a form post and its redirect).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(url) = self.client.current_url().await {
                if url.path().ends_with(path) {
                    return;
                }
                last = url.path().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never reached {path}; still at {last}");
    }

    /// Resizes the window so that the page itself (`innerWidth` x `innerHeight`) is
    /// `width` x `height` CSS pixels: `--window-size` sizes the whole window, and
    /// headless Chromium still keeps room for its toolbars, so a test that measures
    /// what fits on a 390x844 phone screen asks for that screen here.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let (inner_w, inner_h) = self.viewport().await;
        let (_, _, outer_w, outer_h) = self.client.get_window_rect().await.expect("window rect");
        let target_w = outer_w as i64 + i64::from(width) - inner_w;
        let target_h = outer_h as i64 + i64::from(height) - inner_h;
        self.client
            .set_window_size(target_w.max(1) as u32, target_h.max(1) as u32)
            .await
            .expect("resize the window");
        assert_eq!(
            self.viewport().await,
            (i64::from(width), i64::from(height)),
            "the viewport after resizing"
        );
    }

    /// The page's `innerWidth` and `innerHeight`, in CSS pixels.
    pub async fn viewport(&self) -> (i64, i64) {
        let v = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .expect("read the viewport");
        let v: Vec<i64> = serde_json::from_value(v).expect("two numbers");
        (v[0], v[1])
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
